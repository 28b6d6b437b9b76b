package io.transformers4j.models.mistral;

import static io.transformers4j.models.TestTensors.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.generation.GenerateArgs;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.models.testing.StaticCacheSteps;
import io.transformers4j.torch.FusedDecoderLayer;
import io.transformers4j.torch.Torch;
import java.util.Arrays;
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
 * Mistral's decoding steps on a static cache through the fused decoder layer against its op-by-op path: the same
 * logits and cache contents (bits in bfloat16, float rounding in float32), with a sliding window shorter than the
 * sequence so that most steps attend to a window that no longer starts at key 0. Skipped where the native kernels do
 * not run.
 */
class MistralFusedDecoderLayerTest {
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

    private static MistralForCausalLM tiny(String dtype, Integer slidingWindow, Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", 50, "hidden_size", 64, "intermediate_size", 88,
                "num_hidden_layers", 2, "num_attention_heads", 4, "num_key_value_heads", 2,
                "max_position_embeddings", 64, "initializer_range", 0.5, "torch_dtype", dtype));
        c.put("sliding_window", slidingWindow);
        c.putAll(extra);
        return PreTrainedModel.fromConfig(MistralForCausalLM.CLASS, PretrainedConfig.fromMap(c, MistralConfig.class),
                3, Device.cpu());
    }

    private static List<float[]> decode(MistralForCausalLM model, NDManager m, int steps) {
        return StaticCacheSteps.decode(model, m, PROMPT, steps);
    }

    private static List<float[]> opByOp(MistralForCausalLM model, NDManager m, int steps) {
        FusedDecoderLayer.setEnabled(false);
        try {
            return decode(model, m, steps);
        } finally {
            FusedDecoderLayer.setEnabled(true);
        }
    }

    @ParameterizedTest(name = "sliding_window={0}")
    @CsvSource(value = {"3", "null"}, nullValues = "null")
    void bfloat16StepsGiveTheOpByOpPathsBits(Integer slidingWindow) {
        int steps = 8;
        try (MistralForCausalLM model = tiny("bfloat16", slidingWindow, Map.of());
                NDManager m = NDManager.newBaseManager()) {
            long before = FusedDecoderLayer.callCount();
            List<float[]> fused = decode(model, m, steps);
            assertEquals(2L * steps, FusedDecoderLayer.callCount() - before, "every layer of every one-token step");
            List<float[]> reference = opByOp(model, m, steps);
            assertEquals(reference.size(), fused.size());
            for (int i = 0; i < fused.size(); i++) {
                assertArrayEquals(reference.get(i), fused.get(i), 0f,
                        i <= steps ? "logits of step " + i : "cache tensor " + (i - steps - 1));
            }
        }
    }

    @Test
    void float32StepsAgreeWithTheOpByOpPathToFloatRounding() {
        int steps = 8;
        try (MistralForCausalLM model = tiny("float32", 3, Map.of()); NDManager m = NDManager.newBaseManager()) {
            long before = FusedDecoderLayer.callCount();
            List<float[]> fused = decode(model, m, steps);
            assertEquals(2L * steps, FusedDecoderLayer.callCount() - before);
            List<float[]> reference = opByOp(model, m, steps);
            for (int i = 0; i < fused.size(); i++) {
                assertClose(i <= steps ? "logits of step " + i : "cache tensor " + (i - steps - 1),
                        m.create(fused.get(i)), m.create(reference.get(i)), 1e-4, 1e-4);
            }
        }
    }

    @Test
    void theWindowIsAttendedNotTheWholeCache() {
        // The same weights with and without a window must decode differently once the sequence is longer than the
        // window: otherwise the two tests above would pass with a fused step that ignored the mask's -inf keys.
        int steps = 8;
        try (MistralForCausalLM windowed = tiny("float32", 3, Map.of());
                MistralForCausalLM whole = tiny("float32", null, Map.of());
                NDManager m = NDManager.newBaseManager()) {
            List<float[]> a = decode(windowed, m, steps);
            List<float[]> b = decode(whole, m, steps);
            assertFalse(Arrays.equals(a.get(steps), b.get(steps)), "logits of the last step");
        }
    }

    @Test
    void generateWithAStaticCacheGivesTheSameTokens() {
        try (MistralForCausalLM model = tiny("bfloat16", 3, Map.of()); NDManager m = NDManager.newBaseManager()) {
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
    void otherActivationsAndHalfPrecisionStayOpByOp() {
        try (MistralForCausalLM f16 = tiny("float16", 3, Map.of());
                MistralForCausalLM gelu = tiny("bfloat16", 3, Map.of("hidden_act", "gelu"));
                NDManager m = NDManager.newBaseManager()) {
            long before = FusedDecoderLayer.callCount();
            decode(f16, m, 2);
            decode(gelu, m, 2);
            assertEquals(0, FusedDecoderLayer.callCount() - before);
        }
    }
}
