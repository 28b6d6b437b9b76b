package io.transformers4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.generation.DynamicCache;
import io.transformers4j.generation.GenerateArgs;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.GenerationModel;
import io.transformers4j.generation.SinkCache;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.CausalLMOutputWithPast;
import io.transformers4j.models.llama.LlamaConfig;
import io.transformers4j.models.llama.LlamaForCausalLM;
import io.transformers4j.models.mistral.MistralConfig;
import io.transformers4j.models.mistral.MistralForCausalLM;
import io.transformers4j.models.persimmon.PersimmonConfig;
import io.transformers4j.models.persimmon.PersimmonForCausalLM;
import io.transformers4j.torch.Torch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Llama, Mistral and Persimmon through generate() with each cache: the legacy list, a DynamicCache object, a
 * SinkCache and {@code cache_implementation="static"}; single rows and left-padded batches.
 *
 * <p>With a sink window longer than the whole sequence a SinkCache never evicts, so it must give the dynamic cache's
 * tokens. Once it evicts, two independent checks: (1) the keys a SinkCache keeps in layer 0 depend only on each
 * token and the position its key is rotated to (layer 0 reads the embeddings), so they must equal the layer-0 keys of
 * a cacheless forward of the kept tokens at the positions the StreamingLLM shift gives them (this checks the
 * re-rotation tables each model hands the cache, Persimmon's partial rotation included); (2) a Llama without
 * attention bias is Mistral without a sliding window, so the same weights loaded as Mistral (whose sink behaviour the
 * mistral-sink-cache fixtures pin to Python) must generate the same tokens.
 */
class DecoderCachesTest {

    private static final int VOCAB = 50;
    private static final int PAD = 0;
    private static final long[] PROMPT = {5, 17, 3, 29, 11};
    private static final long[] SHORT_PROMPT = {8, 41, 22};

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    private static Map<String, Object> tiny(Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", VOCAB, "hidden_size", 32, "intermediate_size", 40,
                "num_hidden_layers", 2, "num_attention_heads", 4, "max_position_embeddings", 64,
                "initializer_range", 0.5, "pad_token_id", PAD));
        c.putAll(extra);
        return c;
    }

    private static LlamaConfig llamaConfig() {
        return PretrainedConfig.fromMap(tiny(Map.of("num_key_value_heads", 2)), LlamaConfig.class);
    }

    /** The model of {@code family}: llama, mistral (sliding window 6, shorter than the sequences) or persimmon. */
    private static PreTrainedModel tinyModel(String family) {
        return switch (family) {
            case "llama" -> PreTrainedModel.fromConfig(LlamaForCausalLM.CLASS, llamaConfig(), 7, Device.cpu());
            case "mistral" -> PreTrainedModel.fromConfig(MistralForCausalLM.CLASS, PretrainedConfig.fromMap(
                    tiny(Map.of("num_key_value_heads", 2, "sliding_window", 6)), MistralConfig.class), 3,
                    Device.cpu());
            // partial_rotary_factor 0.5: the first 4 of 8 dimensions per head rotate
            case "persimmon" -> PreTrainedModel.fromConfig(PersimmonForCausalLM.CLASS, PretrainedConfig.fromMap(
                    tiny(Map.of("partial_rotary_factor", 0.5)), PersimmonConfig.class), 13, Device.cpu());
            default -> throw new IllegalArgumentException(family);
        };
    }

    /** Greedy sequences (batch, prompt + new); min_new_tokens keeps EOS out so every row runs the full length. */
    private static long[][] generate(PreTrainedModel model, NDArray ids, NDArray mask, Object cache,
            String cacheImplementation, int newTokens) {
        GenerateArgs.Builder b = GenerateArgs.builder().inputs(ids).set("max_new_tokens", newTokens)
                .set("min_new_tokens", newTokens).set("pad_token_id", PAD).set("do_sample", false);
        if (mask != null) {
            b.attentionMask(mask);
        }
        if (cache != null) {
            b.pastKeyValues(cache);
        }
        if (cacheImplementation != null) {
            b.set("cache_implementation", cacheImplementation);
        }
        try (GenerateOutput out = ((GenerationModel) model).generate(b.build())) {
            long[] flat = out.sequences().toLongArray();
            int rows = (int) out.sequences().getShape().get(0);
            int cols = flat.length / rows;
            long[][] r = new long[rows][];
            for (int i = 0; i < rows; i++) {
                r[i] = Arrays.copyOfRange(flat, i * cols, (i + 1) * cols);
            }
            return r;
        }
    }

    private static NDArray row(NDManager m, long... ids) {
        return m.create(ids, new Shape(1, ids.length));
    }

    /** The caches under test, a new one per call; null: the legacy list (Python's default). */
    private static List<Map.Entry<String, Function<NDManager, Object>>> caches() {
        return List.of(
                Map.entry("legacy", m -> null),
                Map.entry("DynamicCache", DynamicCache::new),
                Map.entry("SinkCache(64, 2)", m -> new SinkCache(64, 2, m)),
                Map.entry("static", m -> "static"));
    }

    private static long[][] generateWith(PreTrainedModel model, NDManager m, NDArray ids, NDArray mask,
            Function<NDManager, Object> cacheFactory, int newTokens) {
        Object cache = cacheFactory.apply(m);
        if (cache instanceof String impl) {
            return generate(model, ids, mask, null, impl, newTokens);
        }
        try {
            return generate(model, ids, mask, cache, null, newTokens);
        } finally {
            if (cache instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "persimmon"})
    void everyCacheGivesTheDynamicCachesTokensWhileTheSequenceFitsTheWindow(String family) {
        try (PreTrainedModel model = tinyModel(family); NDManager m = NDManager.newBaseManager()) {
            long[][] expected = generate(model, row(m, PROMPT), null, null, null, 10);
            assertEquals(PROMPT.length + 10, expected[0].length);
            for (var cache : caches()) {
                long[][] got = generateWith(model, m, row(m, PROMPT), null, cache.getValue(), 10);
                assertArrayEquals(expected[0], got[0], family + " with " + cache.getKey());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "persimmon"})
    void leftPaddedBatchRowsMatchTheirUnpaddedGenerationWithEveryCache(String family) {
        try (PreTrainedModel model = tinyModel(family); NDManager m = NDManager.newBaseManager()) {
            int pads = PROMPT.length - SHORT_PROMPT.length;
            long[] padded = new long[PROMPT.length];
            long[] maskRow = new long[PROMPT.length];
            for (int i = 0; i < PROMPT.length; i++) {
                padded[i] = i < pads ? PAD : SHORT_PROMPT[i - pads];
                maskRow[i] = i < pads ? 0 : 1;
            }
            long[] idsFlat = new long[2 * PROMPT.length];
            long[] maskFlat = new long[2 * PROMPT.length];
            System.arraycopy(PROMPT, 0, idsFlat, 0, PROMPT.length);
            System.arraycopy(padded, 0, idsFlat, PROMPT.length, PROMPT.length);
            Arrays.fill(maskFlat, 0, PROMPT.length, 1);
            System.arraycopy(maskRow, 0, maskFlat, PROMPT.length, PROMPT.length);
            for (var cache : caches()) {
                long[] row0 = generateWith(model, m, row(m, PROMPT), null, cache.getValue(), 8)[0];
                long[] row1 = generateWith(model, m, row(m, SHORT_PROMPT), null, cache.getValue(), 8)[0];
                long[][] batch = generateWith(model, m, m.create(idsFlat, new Shape(2, PROMPT.length)),
                        m.create(maskFlat, new Shape(2, PROMPT.length)), cache.getValue(), 8);
                String what = family + " with " + cache.getKey();
                assertArrayEquals(row0, batch[0], what + ", row 0");
                assertArrayEquals(row1, Arrays.copyOfRange(batch[1], pads, batch[1].length), what + ", row 1");
                for (int i = 0; i < pads; i++) {
                    assertEquals(PAD, batch[1][i], what + ": the left padding stays");
                }
            }
        }
    }

    /**
     * The rotary position of each key a SinkCache(window, sinks) holds after {@code fed} single-row tokens, the
     * first {@code prompt} of them in one forward (4.39's SinkCache with the Llama family's
     * prepare_inputs_for_generation): while the cache plus the new token stay under the window it grows and the new
     * token sits at its index; otherwise the sinks stay, the oldest others go so that the window stays full, each
     * kept non-sink key turns one position back, and the new token comes at window - 1 (its position from the
     * attention mask cropped to the window).
     */
    private static List<long[]> sinkSlots(int prompt, int fed, int window, int sinks) {
        List<long[]> slots = new ArrayList<>(); // {token index, rotary position}
        for (int i = 0; i < prompt; i++) {
            slots.add(new long[] {i, i});
        }
        for (int t = prompt; t < fed; t++) {
            if (slots.size() + 1 < window) {
                slots.add(new long[] {t, slots.size()});
                continue;
            }
            List<long[]> next = new ArrayList<>(slots.subList(0, sinks));
            int keepFrom = Math.max(0, slots.size() - window + sinks + 1);
            for (long[] s : slots.subList(keepFrom, slots.size())) {
                next.add(new long[] {s[0], s[1] - 1});
            }
            next.add(new long[] {t, window - 1});
            slots = next;
        }
        return slots;
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "mistral", "persimmon"})
    void aSinkCacheKeepsLayerZeroKeysRotatedToTheirShiftedPositions(String family) {
        int window = 8;
        int sinks = 2;
        int newTokens = 12;
        try (PreTrainedModel model = tinyModel(family); NDManager m = NDManager.newBaseManager();
                SinkCache cache = new SinkCache(window, sinks, m)) {
            long[] seq = generate(model, row(m, PROMPT), null, cache, null, newTokens)[0];
            int fed = seq.length - 1; // the last token generated is never fed back
            List<long[]> slots = sinkSlots(PROMPT.length, fed, window, sinks);
            assertEquals(window, cache.getSeqLength(), "a full window");
            assertEquals(fed, cache.seenTokens());
            long[] tokens = new long[slots.size()];
            long[] positions = new long[slots.size()];
            for (int i = 0; i < slots.size(); i++) {
                tokens[i] = seq[(int) slots.get(i)[0]];
                positions[i] = slots.get(i)[1];
            }
            assertTrue(Arrays.stream(positions).distinct().count() == window && positions[window - 1] == window - 1,
                    Arrays.toString(positions));
            // layer 0's keys of a cacheless forward over the kept tokens at those positions
            CausalLMOutputWithPast ref = (CausalLMOutputWithPast) model.forward(ModelInputs.builder()
                    .inputIds(row(m, tokens)).positionIds(row(m, positions)).useCache(true).build());
            NDArray expected = ref.pastKeyValues().get(0)[0]; // (1, kv_heads, window, head_dim)
            NDArray actual = cache.get(0).key();
            assertEquals(expected.getShape(), actual.getShape());
            TestTensors.assertClose(family + " sink keys of layer 0", actual, expected, 1e-5, 1e-4);
            ref.close();
        }
    }

    @Test
    void llamaWithASinkCacheGeneratesWhatTheSameWeightsGenerateAsMistral(@TempDir Path dir) throws Exception {
        int window = 8;
        int sinks = 2;
        int newTokens = 14;
        try (LlamaForCausalLM llama = PreTrainedModel.fromConfig(LlamaForCausalLM.CLASS, llamaConfig(), 7,
                Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            llama.savePretrained(dir);
            // the same config read as Mistral's (model_type, architectures), no sliding window: Mistral's math is
            // Llama's then
            Map<String, Object> mistral = new HashMap<>(tiny(Map.of("num_key_value_heads", 2)));
            mistral.put("sliding_window", null);
            PretrainedConfig.fromMap(mistral, MistralConfig.class)
                    .forSaving(List.of("MistralForCausalLM"), "float32").saveJson(dir);
            try (MistralForCausalLM twin = MistralForCausalLM.fromPretrained(dir.toString())) {
                long[][] dynamicLlama = generate(llama, row(m, PROMPT), null, null, null, newTokens);
                assertArrayEquals(dynamicLlama[0], generate(twin, row(m, PROMPT), null, null, null, newTokens)[0],
                        "the twin is the same model");
                long[] sinkLlama;
                long[] sinkMistral;
                try (SinkCache c = new SinkCache(window, sinks, m)) {
                    sinkLlama = generate(llama, row(m, PROMPT), null, c, null, newTokens)[0];
                }
                try (SinkCache c = new SinkCache(window, sinks, m)) {
                    sinkMistral = generate(twin, row(m, PROMPT), null, c, null, newTokens)[0];
                }
                assertArrayEquals(sinkMistral, sinkLlama, "Llama and Mistral with SinkCache(" + window + ", "
                        + sinks + ")");
                assertFalse(Arrays.equals(dynamicLlama[0], sinkLlama),
                        "evicting keys changes what this tiny model generates (else the test shows nothing)");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mistral", "persimmon"})
    void theStaticCacheIsAcceptedAndSizedToMaxLength(String family) {
        try (PreTrainedModel model = tinyModel(family)) {
            Object cache = ((GenerationModel) model).newCache("static", 2, 20);
            try (StaticCache c = (StaticCache) cache) {
                assertEquals(20, c.getMaxLength());
                assertEquals(2, c.maxBatchSize());
                assertEquals(8, c.headDim());
            }
        }
    }
}
