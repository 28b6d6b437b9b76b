package io.transformers4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.models.llama.LlamaConfig;
import io.transformers4j.models.llama.LlamaForCausalLM;
import io.transformers4j.models.mistral.MistralConfig;
import io.transformers4j.torch.FusedDecoderLayer;
import io.transformers4j.models.mistral.MistralForCausalLM;
import io.transformers4j.modeling.PreTrainedModel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransformersCliTest {

    private static final Path FIXTURES = Path.of("..", "tests", "fixtures");

    private record Run(int code, String out, String err) {}

    private static Run run(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = TransformersCli.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void usageErrorsExitWithTwoAndSayWhatIsWrong() {
        Run r = run("embed", "--no-such-option", "x");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("unknown option --no-such-option"), r.err());
        Run r2 = run("frobnicate");
        assertEquals(2, r2.code());
        assertTrue(r2.err().contains("unknown command 'frobnicate'"), r2.err());
        assertEquals(0, run("--help").code());
    }

    @Test
    void embedJsonPrintsOnlyAJsonArrayOfArrays(@TempDir Path cache) throws IOException {
        // The built-in model is imported into a private cache so the test never touches ~/.cache.
        String old = System.getProperty("user.home");
        Path model = io.transformers4j.sentence.DefaultModel.install(cache);
        Run r = run("embed", "--model", model.toString(), "--format", "json", "A sentence.", "Another one.");
        assertEquals(0, r.code(), r.err());
        JsonNode json = new ObjectMapper().readTree(r.out());
        assertTrue(json.isArray());
        assertEquals(2, json.size());
        assertEquals(384, json.get(0).size());
        double norm = 0;
        for (JsonNode x : json.get(0)) {
            norm += x.asDouble() * x.asDouble();
        }
        assertEquals(1.0, norm, 1e-4, "all-MiniLM-L6-v2 embeddings are L2-normalised");
        Run sim = run("similarity", "--model", model.toString(), "A cat.", "A cat.", "Stocks fell.");
        assertEquals(0, sim.code(), sim.err());
        assertTrue(sim.out().contains("1.0000"), sim.out());
        assertEquals(old, System.getProperty("user.home"));
    }

    @Test
    void generateFromAChatMessageStreamsText(@TempDir Path dir) throws IOException {
        // A tiny random Mistral over the fixtures' small SentencePiece model (600 ids) with Mistral-Instruct v0.2's chat template.
        Path tok = FIXTURES.resolve("tokenizers/chat-template-mistral-instruct-v0.2");
        for (String f : new String[] {"tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"}) {
            Files.copy(tok.resolve(f), dir.resolve(f));
        }
        MistralConfig config = PretrainedConfig.fromMap(Map.of("vocab_size", 600, "hidden_size", 16,
                "intermediate_size", 32, "num_hidden_layers", 2, "num_attention_heads", 4, "num_key_value_heads", 2,
                "max_position_embeddings", 128, "bos_token_id", 1, "eos_token_id", 2), MistralConfig.class);
        try (MistralForCausalLM m = PreTrainedModel.fromConfig(MistralForCausalLM.CLASS, config, 7, Device.cpu())) {
            m.savePretrained(dir);
        }
        Run streamed = run("generate", "--model", dir.toString(), "--chat", "Hello there", "--max-new-tokens", "6",
                "--stream");
        assertEquals(0, streamed.code(), streamed.err());
        Run plain = run("generate", "--model", dir.toString(), "--chat", "Hello there", "--max-new-tokens", "6");
        assertEquals(0, plain.code(), plain.err());
        // Greedy decoding is deterministic: streaming prints the same text as decoding the whole result.
        assertEquals(plain.out().strip(), streamed.out().strip());
        Run prompt = run("generate", "--model", dir.toString(), "--prompt", "Once upon a time", "--max-new-tokens",
                "4", "--do-sample", "--top-k", "5", "--seed", "3");
        assertEquals(0, prompt.code(), prompt.err());
        Run both = run("generate", "--model", dir.toString(), "--prompt", "x", "--chat", "y");
        assertEquals(2, both.code());
    }

    @Test
    void generateWithAStaticCacheGivesTheDynamicCachesText(@TempDir Path dir) throws IOException {
        // A tiny random bfloat16 Llama (the architecture whose forward takes a StaticCache in 4.39) over the fixtures'
        // small SentencePiece model; head_dim 16, so one-token steps run as fused native layers where the kernels are.
        Path tok = FIXTURES.resolve("tokenizers/chat-template-mistral-instruct-v0.2");
        for (String f : new String[] {"tokenizer.model", "tokenizer_config.json", "special_tokens_map.json"}) {
            Files.copy(tok.resolve(f), dir.resolve(f));
        }
        LlamaConfig config = PretrainedConfig.fromMap(Map.of("vocab_size", 600, "hidden_size", 64,
                "intermediate_size", 96, "num_hidden_layers", 2, "num_attention_heads", 4, "num_key_value_heads", 2,
                "max_position_embeddings", 128, "bos_token_id", 1, "eos_token_id", 2, "torch_dtype", "bfloat16"),
                LlamaConfig.class);
        try (LlamaForCausalLM m = PreTrainedModel.fromConfig(LlamaForCausalLM.CLASS, config, 7, Device.cpu())) {
            m.savePretrained(dir);
        }
        Run dynamic = run("generate", "--model", dir.toString(), "--prompt", "Once upon a time", "--max-new-tokens",
                "8", "--dtype", "auto");
        assertEquals(0, dynamic.code(), dynamic.err());
        long fusedBefore = FusedDecoderLayer.callCount();
        Run fixed = run("generate", "--model", dir.toString(), "--prompt", "Once upon a time", "--max-new-tokens",
                "8", "--dtype", "auto", "--cache-implementation", "static");
        assertEquals(0, fixed.code(), fixed.err());
        if (FusedDecoderLayer.isEnabled()) {
            assertEquals(2 * 7, FusedDecoderLayer.callCount() - fusedBefore, "7 one-token steps of 2 layers, fused");
        }
        assertEquals(dynamic.out().strip(), fixed.out().strip());
        assertFalse(fixed.out().isBlank());
        Run bad = run("generate", "--model", dir.toString(), "--prompt", "x", "--cache-implementation", "paged");
        assertEquals(2, bad.code(), bad.out());
        assertTrue(bad.err().contains("--cache-implementation takes static"), bad.err());
    }
}
