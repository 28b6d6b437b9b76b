package io.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationConfigTest {

    private static IllegalArgumentException bad(Map<String, ?> values) {
        return assertThrows(IllegalArgumentException.class, () -> GenerationConfig.fromMap(values));
    }

    @Test
    void defaultsArePythons() {
        GenerationConfig c = GenerationConfig.defaults();
        assertEquals(20, c.maxLength());
        assertEquals(0, c.minLength());
        assertEquals(50, c.topK());
        assertEquals(1.0, c.topP());
        assertEquals(EarlyStopping.FALSE, c.earlyStopping());
        assertTrue(c.useCache());
        assertNull(c.eosTokenId());
        assertEquals(GenerationMode.GREEDY_SEARCH, c.generationMode());
        assertTrue(c.warnings().isEmpty());
        assertEquals("{\n  \"transformers_version\": \"4.39.0\"\n}\n", c.toJsonString(true));
    }

    @Test
    void groupBeamNeedsDivisibleBeams() {
        IllegalArgumentException e = bad(Map.of("num_beams", 5, "num_beam_groups", 2, "diversity_penalty", 1.0));
        assertEquals("`diversity_penalty` is not 0.0 or `num_beam_groups` is not 1, triggering group beam search. In "
                + "this generation mode, `num_beams` should be divisible by `num_beam_groups`", e.getMessage());
        e = bad(Map.of("num_beams", 4, "num_beam_groups", 2));
        assertTrue(e.getMessage().endsWith("`diversity_penalty` should be greater than `0.0`, otherwise your groups will "
                + "be identical."), e.getMessage());
        e = bad(Map.of("num_beams", 4, "num_beam_groups", 2, "diversity_penalty", 1.0, "do_sample", true));
        assertTrue(e.getMessage().endsWith("`do_sample` must be set to `False`"), e.getMessage());
    }

    @Test
    void numReturnSequences() {
        assertEquals("`num_return_sequences` (5) has to be smaller or equal to `num_beams` (4).",
                bad(Map.of("num_beams", 4, "num_return_sequences", 5)).getMessage());
        assertEquals("Greedy methods without beam search do not support `num_return_sequences` different than 1 (got 3).",
                bad(Map.of("num_return_sequences", 3)).getMessage());
        // sampling may return several sequences per prompt
        assertEquals(3, GenerationConfig.fromMap(Map.of("num_return_sequences", 3, "do_sample", true))
                .numReturnSequences());
    }

    @Test
    void temperatureMustBePositiveWhenSampling() {
        GenerationConfig c = GenerationConfig.fromMap(Map.of("do_sample", true, "temperature", 0.0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerationProcessors.getLogitsWarper(c));
        assertEquals("`temperature` (=0.0) has to be a strictly positive float, otherwise your next token scores will be "
                + "invalid. If you're looking for greedy decoding strategies, set `do_sample=False`.", e.getMessage());
        GenerationConfig neg = GenerationConfig.fromMap(Map.of("do_sample", true, "temperature", -0.5));
        e = assertThrows(IllegalArgumentException.class, () -> GenerationProcessors.getLogitsWarper(neg));
        assertEquals("`temperature` (=-0.5) has to be a strictly positive float, otherwise your next token scores will "
                + "be invalid.", e.getMessage());
    }

    @Test
    void samplingFlagsWithoutSamplingWarn() {
        GenerationConfig c = GenerationConfig.fromMap(Map.of("temperature", 0.7, "top_p", 0.9));
        assertEquals(2, c.warnings().size());
        assertEquals("`do_sample` is set to `False`. However, `temperature` is set to `0.7` -- this flag is only used in "
                + "sample-based generation modes. You should set `do_sample=True` or unset `temperature`. This was "
                + "detected when initializing the generation config instance, which means the corresponding file may "
                + "hold incorrect parameterization and should be fixed.", c.warnings().get(0));
        GenerationConfig beams = GenerationConfig.fromMap(Map.of("early_stopping", true, "length_penalty", 2.0));
        assertTrue(beams.warnings().get(0).startsWith("`num_beams` is set to 1. However, `early_stopping` is set to "
                + "`True` -- this flag is only used in beam-based generation modes."), beams.warnings().get(0));
        assertEquals(2, beams.warnings().size());
    }

    @Test
    void otherInvalidSettings() {
        assertEquals("`early_stopping` must be a boolean or 'never', but is sometimes.",
                bad(Map.of("early_stopping", "sometimes")).getMessage());
        assertEquals("`max_new_tokens` must be greater than 0, but is 0.", bad(Map.of("max_new_tokens", 0)).getMessage());
        IllegalArgumentException e = bad(Map.of("num_beams", 2, "force_words_ids", List.of(List.of(3)),
                "do_sample", true));
        assertTrue(e.getMessage().startsWith("one of `constraints`, `force_words_ids` is not `None`, triggering "
                + "constrained beam search. However, `do_sample` is set to `True`"), e.getMessage());
        assertEquals("Argument `streamer` is not a valid argument of `GenerationConfig`. It should be passed to "
                + "`generate()` (or a pipeline) directly.", bad(Map.of("streamer", 1)).getMessage());
        assertEquals(EarlyStopping.NEVER, GenerationConfig.fromMap(Map.of("early_stopping", "never", "num_beams", 2))
                .earlyStopping());
    }

    @Test
    void generationModes() {
        assertEquals(GenerationMode.SAMPLE, GenerationConfig.fromMap(Map.of("do_sample", true)).generationMode());
        assertEquals(GenerationMode.BEAM_SEARCH, GenerationConfig.fromMap(Map.of("num_beams", 3)).generationMode());
        assertEquals(GenerationMode.BEAM_SAMPLE,
                GenerationConfig.fromMap(Map.of("num_beams", 3, "do_sample", true)).generationMode());
        assertEquals(GenerationMode.GROUP_BEAM_SEARCH, GenerationConfig.fromMap(Map.of("num_beams", 4,
                "num_beam_groups", 2, "diversity_penalty", 0.5)).generationMode());
        assertEquals(GenerationMode.CONTRASTIVE_SEARCH,
                GenerationConfig.fromMap(Map.of("penalty_alpha", 0.6, "top_k", 4)).generationMode());
        assertEquals(GenerationMode.CONSTRAINED_BEAM_SEARCH,
                GenerationConfig.fromMap(Map.of("num_beams", 2, "force_words_ids", List.of(List.of(3, 4))))
                        .generationMode());
    }

    @Test
    void saveWritesPythonsDiffAndLoadsBack(@TempDir Path dir) throws Exception {
        Map<List<Integer>, Double> bias = new LinkedHashMap<>();
        bias.put(List.of(5), 2.5);
        bias.put(List.of(3, 6), -1e-05);
        GenerationConfig c = GenerationConfig.builder().maxNewTokens(8).numBeams(4).earlyStopping(EarlyStopping.NEVER)
                .eosTokenId(List.of(2, 7)).padTokenId(0).sequenceBias(bias).set("no_timestamps_token_id", 50363)
                .build();
        c.savePretrained(dir);
        String text = Files.readString(dir.resolve("generation_config.json"));
        assertEquals("{\n"
                + "  \"early_stopping\": \"never\",\n"
                + "  \"eos_token_id\": [\n    2,\n    7\n  ],\n"
                + "  \"max_new_tokens\": 8,\n"
                + "  \"no_timestamps_token_id\": 50363,\n"
                + "  \"num_beams\": 4,\n"
                + "  \"pad_token_id\": 0,\n"
                + "  \"sequence_bias\": {\n    \"(3, 6)\": -1e-05,\n    \"(5,)\": 2.5\n  },\n"
                + "  \"transformers_version\": \"4.39.0\"\n"
                + "}\n", text);
        GenerationConfig back = GenerationConfig.fromPretrained(dir);
        assertEquals(c, back);
        assertEquals(List.of(2, 7), back.eosTokenId());
        assertTrue(back.eosTokenIdIsList());
        assertEquals(bias, back.sequenceBias());
        assertEquals(50363, back.get("no_timestamps_token_id").asInt());
    }

    @Test
    void invalidConfigIsNotSaved(@TempDir Path dir) {
        GenerationConfig c = GenerationConfig.fromMap(Map.of("top_k", 10));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.savePretrained(dir));
        assertTrue(e.getMessage().startsWith("The generation config instance is invalid -- `.validate()` throws "
                + "warnings and/or exceptions."), e.getMessage());
        assertFalse(Files.exists(dir.resolve("generation_config.json")));
    }

    @Test
    void fallsBackToTheModelConfig(@TempDir Path dir) throws Exception {
        ObjectNode model = GenerationConfig.MAPPER.createObjectNode();
        model.put("model_type", "gpt2");
        model.put("n_embd", 64);
        model.put("bos_token_id", 50256);
        model.put("eos_token_id", 50256);
        model.put("use_cache", false);
        model.put("num_beams", 1);
        ObjectNode decoder = model.putObject("decoder");
        decoder.put("max_length", 64);
        GenerationConfig g = GenerationConfig.fromModelConfig(model);
        assertEquals(50256, g.bosTokenId());
        assertEquals(List.of(50256), g.eosTokenId());
        assertFalse(g.useCache());
        assertEquals(64, g.maxLength());
        assertTrue(g.fromModelConfig());
        assertNull(g.get("n_embd"), "model-only keys are not generation attributes");

        Files.writeString(dir.resolve("generation_config.json"), "{\"max_new_tokens\": 3, \"top_k\": 50}");
        GenerationConfig fromFile = GenerationConfig.fromPretrained(dir);
        assertEquals(3, fromFile.maxNewTokens());
        assertFalse(fromFile.toDiffDict().has("top_k"), "a value equal to the default is not written back");
        Files.writeString(dir.resolve("generation_config.json"), "{\"max_new_tokens\": ");
        assertThrows(java.io.IOException.class, () -> GenerationConfig.fromPretrained(dir));
    }

    @Test
    void updateReturnsUnusedKwargs() {
        GenerationConfig.Update u = GenerationConfig.defaults().update(Map.of("max_new_tokens", 4, "attention_mask", 1));
        assertEquals(4, u.config().maxNewTokens());
        assertEquals(Map.of("attention_mask", 1), u.unusedKwargs());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GenerationConfig.defaults().with("num_return_sequences", 2));
        assertTrue(e.getMessage().startsWith("Greedy methods"));
    }
}
