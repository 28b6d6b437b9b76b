package io.transformers4j.models.llama;

import static io.transformers4j.models.TestTensors.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.generation.GenerateArgs;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.models.testing.StaticCacheSteps;
import io.transformers4j.modeling.outputs.CausalLMOutputWithPast;
import io.transformers4j.torch.FusedDecoderLayer;
import io.transformers4j.torch.Torch;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The fused decoder layer (one native call per layer for a token on a static cache) against the op-by-op path it
 * replaces: the same logits and the same cache contents, to the bit in bfloat16 and to float rounding in float32, and
 * the op-by-op path wherever it does not apply. Skipped where the native kernels do not run (the op-by-op path is
 * then the only one).
 */
class LlamaFusedDecoderLayerTest {
    private static final long[] PROMPT = {5, 17, 3, 29, 11};

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
        Torch.ensureBridgeReady();
    }

    @BeforeEach
    void kernels() {
        Assumptions.assumeTrue(FusedDecoderLayer.isEnabled(), "native kernels unavailable here");
    }

    @AfterEach
    void reenable() {
        FusedDecoderLayer.setEnabled(true);
    }

    /** head_dim 16 (the kernel's smallest); intermediate sizes with and without a tail LibTorch's silu does scalar. */
    private static LlamaForCausalLM tinyBf16(int kvHeads, int intermediate, Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", 50, "hidden_size", 64, "intermediate_size",
                intermediate, "num_hidden_layers", 2, "num_attention_heads", 4, "num_key_value_heads", kvHeads,
                "max_position_embeddings", 64, "initializer_range", 0.5, "torch_dtype", "bfloat16"));
        c.putAll(extra);
        return PreTrainedModel.fromConfig(LlamaForCausalLM.CLASS, PretrainedConfig.fromMap(c, LlamaConfig.class), 3,
                Device.cpu());
    }

    private static List<float[]> decode(LlamaForCausalLM model, NDManager m, int steps) {
        return StaticCacheSteps.decode(model, m, PROMPT, steps);
    }

    @ParameterizedTest(name = "kv_heads={0} intermediate={1}")
    @CsvSource({"2, 88", "1, 128", "4, 40"})
    void decodingStepsGiveTheOpByOpPathsBits(int kvHeads, int intermediate) {
        int steps = 6;
        try (LlamaForCausalLM model = tinyBf16(kvHeads, intermediate, Map.of());
                NDManager m = NDManager.newBaseManager()) {
            long before = FusedDecoderLayer.callCount();
            List<float[]> fused = decode(model, m, steps);
            assertEquals(2L * steps, FusedDecoderLayer.callCount() - before, "every layer of every one-token step");

            FusedDecoderLayer.setEnabled(false);
            before = FusedDecoderLayer.callCount();
            List<float[]> opByOp = decode(model, m, steps);
            assertEquals(0, FusedDecoderLayer.callCount() - before);

            assertEquals(opByOp.size(), fused.size());
            for (int i = 0; i < fused.size(); i++) {
                assertArrayEquals(opByOp.get(i), fused.get(i), 0f,
                        i <= steps ? "logits of step " + i : "cache tensor " + (i - steps - 1));
            }
        }
    }

    @ParameterizedTest(name = "kv_heads={0} intermediate={1}")
    @CsvSource({"2, 88", "4, 90"}) // 90: rows left after the kernel's groups of four, and a 10-column tail
    void float32StepsAgreeWithTheOpByOpPathToFloatRounding(int kvHeads, int intermediate) {
        // float32 products are MKL's op by op and the layer's own fused: the same sums in another order, within the
        // project's float32 bar (1e-4)
        int steps = 6;
        try (LlamaForCausalLM model = tinyBf16(kvHeads, intermediate, Map.of("torch_dtype", "float32"));
                NDManager m = NDManager.newBaseManager()) {
            long before = FusedDecoderLayer.callCount();
            List<float[]> fused = decode(model, m, steps);
            assertEquals(2L * steps, FusedDecoderLayer.callCount() - before, "every layer of every one-token step");
            FusedDecoderLayer.setEnabled(false);
            List<float[]> opByOp = decode(model, m, steps);
            for (int i = 0; i < fused.size(); i++) {
                assertClose(i <= steps ? "logits of step " + i : "cache tensor " + (i - steps - 1),
                        m.create(fused.get(i)), m.create(opByOp.get(i)), 1e-4, 1e-4);
            }
        }
    }

    @Test
    void generateWithAStaticCacheGivesTheSameTokens() {
        try (LlamaForCausalLM model = tinyBf16(2, 88, Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(PROMPT, new Shape(1, PROMPT.length));
            GenerationConfig config = model.generationConfig().toBuilder().maxNewTokens(12).doSample(false)
                    .cacheImplementation("static").eosTokenId(null).padTokenId(0).build();
            long before = FusedDecoderLayer.callCount();
            NDArray fused = model.generate(GenerateArgs.builder().inputs(ids).generationConfig(config).build())
                    .sequences();
            assertEquals(2L * 11, FusedDecoderLayer.callCount() - before, "11 one-token steps after the prompt");
            FusedDecoderLayer.setEnabled(false);
            NDArray opByOp = model.generate(GenerateArgs.builder().inputs(ids).generationConfig(config).build())
                    .sequences();
            assertArrayEquals(opByOp.toLongArray(), fused.toLongArray());
        }
    }

    @Test
    void otherStepsStayOpByOp() {
        try (LlamaForCausalLM bf16 = tinyBf16(2, 88, Map.of());
                LlamaForCausalLM f16 = tinyBf16(2, 88, Map.of("torch_dtype", "float16"));
                LlamaForCausalLM gelu = tinyBf16(2, 88, Map.of("hidden_act", "gelu"));
                LlamaForCausalLM bias = tinyBf16(2, 88, Map.of("attention_bias", true));
                NDManager m = NDManager.newBaseManager()) {
            long before = FusedDecoderLayer.callCount();
            for (LlamaForCausalLM model : List.of(f16, gelu, bias)) {
                decode(model, m, 2); // float16, another activation, biased projections
            }
            NDArray ids = m.create(PROMPT, new Shape(1, PROMPT.length));
            {
                // a dynamic cache, and attention probabilities asked for on a static one
                CausalLMOutputWithPast o = bf16.forward(ModelInputs.builder().inputIds(ids).useCache(true).build());
                bf16.forward(ModelInputs.builder().inputIds(m.create(new long[] {7}, new Shape(1, 1)))
                        .set("past_key_values", o.pastKeyValues()).useCache(true).build());
                try (StaticCache cache = (StaticCache) bf16.newCache("static", 1, 24)) {
                    bf16.forward(ModelInputs.builder().inputIds(ids).set("past_key_values", cache)
                            .set("cache_position", m.arange(0, PROMPT.length, 1, DataType.INT64)).useCache(true)
                            .build());
                    CausalLMOutputWithPast a = bf16.forward(ModelInputs.builder()
                            .inputIds(m.create(new long[] {7}, new Shape(1, 1))).set("past_key_values", cache)
                            .set("cache_position", m.create(new long[] {PROMPT.length})).useCache(true)
                            .outputAttentions(true).build());
                    assertEquals(2, a.attentions().size());
                }
            }
            assertEquals(0, FusedDecoderLayer.callCount() - before,
                    "no fused step outside bfloat16/float32 one-token steps on a static cache");
            assertTrue(FusedDecoderLayer.isEnabled());
        }
    }
}
