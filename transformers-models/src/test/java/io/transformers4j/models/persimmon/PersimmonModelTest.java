package io.transformers4j.models.persimmon;

import static io.transformers4j.models.TestTensors.assertClose;
import static io.transformers4j.models.TestTensors.maxAbsDiff;
import static io.transformers4j.models.TestTensors.positionsFromMask;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelRegistry;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPast;
import io.transformers4j.modeling.outputs.CausalLMOutputWithPast;
import io.transformers4j.torch.Torch;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tiny random Persimmons: cache, padding, partial rotary, qk_layernorm switch, RoPE scaling, config checks. */
class PersimmonModelTest {

    static final int VOCAB = 50;
    static final int PAD = 0;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    /** 2 layers, 4 heads of 8 dims, rotary on the first 4 of each head. */
    static PersimmonConfig tinyConfig(Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", VOCAB, "hidden_size", 32, "intermediate_size", 40,
                "num_hidden_layers", 2, "num_attention_heads", 4, "max_position_embeddings", 16,
                "initializer_range", 0.5, "pad_token_id", PAD));
        c.putAll(extra);
        return PretrainedConfig.fromMap(c, PersimmonConfig.class);
    }

    static PersimmonForCausalLM tinyLm(Map<String, Object> extra) {
        return PreTrainedModel.fromConfig(PersimmonForCausalLM.CLASS, tinyConfig(extra), 13, Device.cpu());
    }

    @Test
    void configDefaultsAndChecks() {
        PersimmonConfig c = PretrainedConfig.fromMap(Map.of(), PersimmonConfig.class);
        assertEquals("relu2", c.hiddenAct());
        assertEquals(32, c.rotaryDim(), "int(0.5 * 64)");
        assertTrue(c.qkLayernorm());
        assertEquals(PersimmonForCausalLM.CLASS, ModelRegistry.forTask(c, AutoTask.CAUSAL_LM));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tinyConfig(Map.of("partial_rotary_factor", 0.1)));
        assertTrue(e.getMessage().contains("partial_rotary_factor"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tinyConfig(Map.of("num_attention_heads", 5)));
        assertTrue(e.getMessage().contains("hidden_size must be divisible by num_heads"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> tinyConfig(Map.of("rope_scaling", Map.of("type", "linear", "factor", 1.0))));
    }

    @Test
    void cachedDecodingOfLeftPaddedBatchMatchesOneForward() {
        try (PersimmonForCausalLM model = tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {PAD, 5, 17, 3, 42, 8, 8, 21, 9, 11, 4, 29, 7, 3, 14, 15}, new Shape(2, 8));
            NDArray mask = ids.neq(PAD).toType(DataType.INT64, false);
            NDArray positions = positionsFromMask(mask);
            NDArray full = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask).positionIds(positions)
                    .useCache(false).build()).logits();
            CausalLMOutputWithPast step = model.forward(ModelInputs.builder().inputIds(ids.get(":, :5"))
                    .attentionMask(mask.get(":, :5")).positionIds(positions.get(":, :5")).build());
            NDList pieces = new NDList(step.logits());
            for (int t = 5; t < 8; t++) {
                step = model.forward(ModelInputs.builder().inputIds(ids.get(new NDIndex(":, {}:{}", t, t + 1)))
                        .attentionMask(mask.get(new NDIndex(":, :{}", t + 1)))
                        .positionIds(positions.get(new NDIndex(":, {}:{}", t, t + 1)))
                        .pastKeyValues(step.pastKeyValues()).build());
                pieces.add(step.logits());
            }
            assertClose("cached logits", NDArrays.concat(pieces, 1).get(":, 1:"), full.get(":, 1:"), 1e-5, 1e-5);
            assertArrayEquals(new long[] {2, 4, 8, 8}, step.pastKeyValues().get(0)[0].getShape().getShape());

            NDArray alone = model.forward(m.create(new long[] {5, 17, 3, 42, 8, 8, 21}, new Shape(1, 7)), null)
                    .logits();
            assertClose("left-padded row", full.get("0:1, 1:"), alone, 1e-5, 1e-5);
        }
    }

    @Test
    void onlyTheFirstRotaryDimsOfEachHeadRotate() {
        try (PersimmonModel model = PreTrainedModel.fromConfig(PersimmonModel.CLASS, tinyConfig(Map.of()), 2,
                Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            // Token 7 at positions 0 and 3: layer 0 sees the same embedding, so its keys differ only by rotation.
            BaseModelOutputWithPast out = model.forward(ModelInputs.builder()
                    .inputIds(m.create(new long[] {7, 9, 4, 7}, new Shape(1, 4))).useCache(true).build());
            NDArray keys = out.pastKeyValues().get(0)[0]; // (1, 4, 4, 8)
            NDArray first = keys.get(":, :, 0, :");
            NDArray last = keys.get(":, :, 3, :");
            assertClose("pass-through dims", last.get("..., 4:"), first.get("..., 4:"), 0, 0);
            assertTrue(maxAbsDiff(last.get("..., :4"), first.get("..., :4")) > 1e-3, "rotary dims did not rotate");
        }
    }

    @Test
    void qkLayernormIsOptional() {
        try (PersimmonForCausalLM with = tinyLm(Map.of());
                PersimmonForCausalLM without = tinyLm(Map.of("qk_layernorm", false));
                NDManager m = NDManager.newBaseManager()) {
            assertTrue(with.stateDict().containsKey("model.layers.0.self_attn.q_layernorm.weight"));
            assertTrue(with.stateDict().containsKey("model.layers.1.self_attn.k_layernorm.bias"));
            assertFalse(without.stateDict().keySet().stream().anyMatch(k -> k.contains("_layernorm.")
                    && k.contains("self_attn")));
            assertTrue(with.stateDict().containsKey("model.final_layernorm.weight"));
            NDArray logits = without.forward(m.create(new long[] {1, 2, 3}, new Shape(1, 3)), null).logits();
            assertArrayEquals(new long[] {1, 3, VOCAB}, logits.getShape().getShape());
        }
    }

    @Test
    void halfPrecisionModelsStayCloseToFloat32() {
        try (PersimmonForCausalLM f32 = tinyLm(Map.of());
                PersimmonForCausalLM f16 = tinyLm(Map.of("torch_dtype", "float16"));
                PersimmonForCausalLM bf16 = tinyLm(Map.of("torch_dtype", "bfloat16"));
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {PAD, 5, 17, 3, 42, 8, 2, 9, 11, 4, 29, 7}, new Shape(2, 6));
            NDArray mask = ids.neq(PAD).toType(DataType.INT64, false);
            NDArray expected = f32.forward(ids, mask).logits();
            double scale = expected.abs().max().getFloat();
            NDArray half = f16.forward(ids, mask).logits();
            assertEquals(DataType.FLOAT16, half.getDataType(), "Persimmon does not upcast its logits");
            assertTrue(maxAbsDiff(half, expected) < 0.01 * scale, "float16: " + maxAbsDiff(half, expected));
            NDArray brain = bf16.forward(ids, mask).logits();
            assertEquals(DType.BF16, TorchOps.dtypeOf(brain));
            NDArray brain32 = TorchOps.toDType(brain, DType.F32);
            assertTrue(maxAbsDiff(brain32, expected) < 0.05 * scale, "bfloat16: " + maxAbsDiff(brain32, expected));
        }
    }

    @Test
    void dynamicRopeScalingRunsBeyondMaxPositionEmbeddings() {
        try (PersimmonForCausalLM plain = tinyLm(Map.of());
                PersimmonForCausalLM dynamic = tinyLm(Map.of("rope_scaling", Map.of("type", "dynamic", "factor", 2.0)));
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.randomInteger(1, VOCAB, new Shape(1, 24), DataType.INT64);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plain.forward(ids, null));
            assertTrue(e.getMessage().contains("max_position_embeddings (16)"), e.getMessage());
            NDArray shortIds = ids.get(":, :10");
            assertClose("dynamic == plain within range", dynamic.forward(shortIds, null).logits(),
                    plain.forward(shortIds, null).logits(), 0, 0);
            NDArray logits = dynamic.forward(ids, null).logits();
            assertArrayEquals(new long[] {1, 24, VOCAB}, logits.getShape().getShape());
            assertFalse(Double.isNaN(logits.sum().getFloat()));
        }
    }
}
