package io.transformers4j.models.llama;

import static io.transformers4j.models.TestTensors.assertClose;
import static io.transformers4j.models.TestTensors.maxAbsDiff;
import static io.transformers4j.models.TestTensors.positionsFromMask;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPast;
import io.transformers4j.modeling.outputs.CausalLMOutputWithPast;
import io.transformers4j.modeling.outputs.SequenceClassifierOutputWithPast;
import io.transformers4j.torch.Torch;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.Checkpoints;
import io.transformers4j.weights.DType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tiny random Llamas: cache, padding, grouped-query attention, RoPE scaling, config checks, fp16 loading. */
class LlamaModelTest {

    static final int VOCAB = 50;
    static final int PAD = 0;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    /** 2 layers, 4 query heads sharing 2 key/value heads, head_dim 8; initializer_range 0.5 so attention matters. */
    static LlamaConfig tinyConfig(Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", VOCAB, "hidden_size", 32, "intermediate_size", 40,
                "num_hidden_layers", 2, "num_attention_heads", 4, "num_key_value_heads", 2,
                "max_position_embeddings", 32, "initializer_range", 0.5, "pad_token_id", PAD));
        c.putAll(extra);
        return PretrainedConfig.fromMap(c, LlamaConfig.class);
    }

    static LlamaForCausalLM tinyLm(Map<String, Object> extra) {
        return PreTrainedModel.fromConfig(LlamaForCausalLM.CLASS, tinyConfig(extra), 7, Device.cpu());
    }

    static NDArray ids(NDManager m, long... ids) {
        return m.create(ids, new Shape(1, ids.length));
    }

    @Test
    void configDefaultsAndRegistry() {
        LlamaConfig c = PretrainedConfig.fromMap(Map.of("num_attention_heads", 8, "hidden_size", 64),
                LlamaConfig.class);
        assertEquals(8, c.numKeyValueHeads(), "num_key_value_heads defaults to num_attention_heads");
        assertEquals(2048, c.maxPositionEmbeddings());
        assertFalse(c.tieWordEmbeddings());
        assertEquals(2, c.eosTokenId());
        assertNull(c.ropeScaling());
        assertEquals(LlamaForCausalLM.CLASS, ModelRegistry.forTask(c, AutoTask.CAUSAL_LM));
        assertEquals(LlamaForSequenceClassification.CLASS, ModelRegistry.forTask(c, AutoTask.SEQUENCE_CLASSIFICATION));
        assertEquals(LlamaModel.CLASS, ModelRegistry.modelClass("LlamaModel"));
    }

    @Test
    void configValidationErrorsSayWhatIsWrong() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tinyConfig(Map.of(
                "hidden_size", 30)));
        assertTrue(e.getMessage().contains("hidden_size must be divisible by num_heads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tinyConfig(Map.of("num_key_value_heads", 3)));
        assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
        // Python's isinstance(factor, float): an integer factor is refused.
        e = assertThrows(IllegalArgumentException.class,
                () -> tinyConfig(Map.of("rope_scaling", Map.of("type", "linear", "factor", 2))));
        assertTrue(e.getMessage().contains("factor field must be a float > 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> tinyConfig(Map.of("rope_scaling", Map.of("type", "yarn", "factor", 2.0))));
        assertTrue(e.getMessage().contains("must be one of ['linear', 'dynamic'], got yarn"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tinyConfig(Map.of("rope_scaling",
                Map.of("type", "linear", "factor", 2.0, "original_max_position_embeddings", 16))));
        assertTrue(e.getMessage().contains("two fields"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> tinyConfig(Map.of("rope_scaling", Map.of("type", "dynamic", "factor", 0.5))));
    }

    @Test
    void cachedDecodingOfLeftPaddedBatchMatchesOneForward() {
        try (LlamaForCausalLM model = tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {PAD, PAD, 5, 17, 3, 42, 8, 8, 21, 9, 11, 4, 29, 7, 3, 14, 15, 9, 26, 5},
                    new Shape(2, 10));
            NDArray mask = ids.neq(PAD).toType(DataType.INT64, false);
            NDArray positions = positionsFromMask(mask);
            NDArray full = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask).positionIds(positions)
                    .useCache(false).build()).logits();

            CausalLMOutputWithPast step = model.forward(ModelInputs.builder().inputIds(ids.get(":, :6"))
                    .attentionMask(mask.get(":, :6")).positionIds(positions.get(":, :6")).useCache(true).build());
            NDList pieces = new NDList(step.logits());
            for (int t = 6; t < 10; t++) {
                step = model.forward(ModelInputs.builder().inputIds(ids.get(new NDIndex(":, {}:{}", t, t + 1)))
                        .attentionMask(mask.get(new NDIndex(":, :{}", t + 1)))
                        .positionIds(positions.get(new NDIndex(":, {}:{}", t, t + 1)))
                        .pastKeyValues(step.pastKeyValues()).build());
                pieces.add(step.logits());
            }
            NDArray cached = NDArrays.concat(pieces, 1);
            // Pad query positions (row 0, tokens 0-1) are fully masked rows: uniform over however many keys exist,
            // which differs between the prefix step and the full forward, as in Python. Compare the real tokens.
            assertClose("cached logits", cached.get(":, 2:"), full.get(":, 2:"), 1e-5, 1e-5);
            assertClose("cached logits, row 1", cached.get("1, :2"), full.get("1, :2"), 1e-5, 1e-5);
            assertArrayEquals(new long[] {2, 2, 10, 8}, step.pastKeyValues().get(1)[0].getShape().getShape());

            NDArray alone = model.forward(ids.get(":, -1:"), null).logits();
            assertTrue(maxAbsDiff(alone, full.get(":, -1:")) > 1e-2, "test is not sensitive to the cache");
        }
    }

    @Test
    void leftPaddedRowsMatchUnpaddedRows() {
        try (LlamaForCausalLM model = tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {PAD, PAD, 11, 4, 29, 7, 3, 14, 15, 9, 26, 5}, new Shape(2, 6));
            NDArray mask = m.create(new long[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, new Shape(2, 6));
            NDArray batched = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                    .positionIds(positionsFromMask(mask)).build()).logits();
            assertClose("left-padded row", batched.get("0:1, 2:"), model.forward(ids(m, 11, 4, 29, 7), null).logits(),
                    1e-5, 1e-5);
            assertClose("unpadded row", batched.get("1:2"), model.forward(ids(m, 3, 14, 15, 9, 26, 5), null).logits(),
                    1e-5, 1e-5);
            // Pad query rows see no key: the reference's uniform softmax, not NaN.
            assertFalse(Double.isNaN(batched.sum().getFloat()));
        }
    }

    @Test
    void groupedQueryAttentionShapesAndSemantics(@TempDir Path dir) throws IOException {
        try (LlamaForCausalLM gqa = tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, new Shape(2, 5));
            CausalLMOutputWithPast out = gqa.forward(ModelInputs.builder().inputIds(ids).outputAttentions(true)
                    .outputHiddenStates(true).useCache(true).build());
            assertArrayEquals(new long[] {2, 5, VOCAB}, out.logits().getShape().getShape());
            assertEquals(DataType.FLOAT32, out.logits().getDataType());
            assertEquals(2, out.pastKeyValues().size());
            assertArrayEquals(new long[] {2, 2, 5, 8}, out.pastKeyValues().get(0)[0].getShape().getShape());
            assertArrayEquals(new long[] {2, 2, 5, 8}, out.pastKeyValues().get(0)[1].getShape().getShape());
            assertArrayEquals(new long[] {2, 4, 5, 5}, out.attentions().get(0).getShape().getShape());
            assertEquals(3, out.hiddenStates().size());
            assertArrayEquals(new long[] {2, 5, 32}, out.hiddenStates().get(2).getShape().getShape());

            // repeat_kv semantics: query head h reads key/value head h / 2. A multi-head model whose k/v weights
            // repeat each group's head computes the same function.
            Map<String, NDArray> state = new LinkedHashMap<>(gqa.stateDict());
            for (int layer = 0; layer < 2; layer++) {
                for (String p : List.of("k_proj", "v_proj")) {
                    String key = "model.layers." + layer + ".self_attn." + p + ".weight";
                    NDArray w = state.get(key); // (2 * 8, 32)
                    state.put(key, w.reshape(2, 1, 8, 32).broadcast(2, 2, 8, 32).reshape(32, 32));
                }
            }
            Checkpoints.save(dir, state, Long.MAX_VALUE);
            tinyConfig(Map.of("num_key_value_heads", 4)).saveJson(dir);
            try (LlamaForCausalLM mha = LlamaForCausalLM.fromPretrained(dir.toString(),
                    LoadOptions.defaults().withLocalFilesOnly(true).withStrict(true))) {
                assertClose("GQA vs expanded MHA", mha.forward(ids, null).logits(), out.logits(), 1e-5, 1e-5);
            }
        }
    }

    @Test
    void linearRopeScalingDividesPositionsByTheFactor() {
        try (LlamaForCausalLM plain = tinyLm(Map.of());
                LlamaForCausalLM linear = tinyLm(Map.of("rope_scaling", Map.of("type", "linear", "factor", 2.0)));
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = ids(m, 5, 17, 3, 42, 8, 21);
            NDArray positions = m.arange(0, 6, 1, DataType.INT64).reshape(1, 6);
            NDArray expected = plain.forward(ModelInputs.builder().inputIds(ids).positionIds(positions).build())
                    .logits();
            NDArray scaled = linear.forward(ModelInputs.builder().inputIds(ids).positionIds(positions.mul(2)).build())
                    .logits();
            assertClose("linear scaling at 2p vs none at p", scaled, expected, 1e-6, 1e-6);
            assertTrue(maxAbsDiff(linear.forward(ids, null).logits(), expected) > 1e-3, "scaling had no effect");
        }
    }

    @Test
    void promptsLongerThanMaxPositionEmbeddings() {
        try (LlamaForCausalLM plain = tinyLm(Map.of("max_position_embeddings", 16));
                LlamaForCausalLM linear = tinyLm(Map.of("max_position_embeddings", 16,
                        "rope_scaling", Map.of("type", "linear", "factor", 2.0)));
                LlamaForCausalLM dynamic = tinyLm(Map.of("max_position_embeddings", 16,
                        "rope_scaling", Map.of("type", "dynamic", "factor", 2.0)));
                NDManager m = NDManager.newBaseManager()) {
            NDArray longIds = m.randomInteger(1, VOCAB, new Shape(1, 40), DataType.INT64);
            NDArray shortIds = longIds.get(":, :12");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> plain.forward(longIds.get(":, :17"), null));
            assertTrue(e.getMessage().contains("max_position_embeddings (16)"), e.getMessage());
            // Linear scaling stretches the trained range by its factor.
            assertEquals(32, linear.forward(longIds.get(":, :32"), null).logits().getShape().get(1));
            assertThrows(IllegalArgumentException.class, () -> linear.forward(longIds.get(":, :33"), null));

            // Dynamic NTK scaling: identical to plain RoPE up to max_position_embeddings, runs beyond it.
            NDArray before = dynamic.forward(shortIds, null).logits();
            assertClose("dynamic == plain within the trained range", before, plain.forward(shortIds, null).logits(),
                    0, 0);
            NDArray longLogits = dynamic.forward(longIds, null).logits();
            assertArrayEquals(new long[] {1, 40, VOCAB}, longLogits.getShape().getShape());
            assertFalse(Double.isNaN(longLogits.sum().getFloat()));
            // Beyond the range the base grows for every position, so even the first tokens change.
            assertTrue(maxAbsDiff(longLogits.get(":, :12"), before) > 1e-4, "dynamic scaling had no effect");
            // No state carried over from the long call (Python 4.39 would keep the enlarged base).
            assertClose("short call after a long one", dynamic.forward(shortIds, null).logits(), before, 0, 0);
        }
    }

    @Test
    void tiedEmbeddingsShareTheEmbeddingMatrix(@TempDir Path dir) throws IOException {
        try (LlamaForCausalLM model = tinyLm(Map.of("tie_word_embeddings", true));
                NDManager m = NDManager.newBaseManager()) {
            assertFalse(model.stateDict().containsKey("lm_head.weight"));
            NDArray ids = ids(m, 3, 1, 4, 1, 5);
            CausalLMOutputWithPast out = model.forward(ModelInputs.builder().inputIds(ids).outputHiddenStates(true)
                    .build());
            NDArray embed = model.model().embedTokens().weight;
            NDArray expected = out.hiddenStates().get(2).matMul(embed.transpose());
            assertClose("tied head", out.logits(), expected, 1e-5, 1e-5);

            model.savePretrained(dir);
            try (LlamaForCausalLM back = LlamaForCausalLM.fromPretrained(dir.toString(),
                    LoadOptions.defaults().withLocalFilesOnly(true).withStrict(true))) {
                assertClose("reloaded", back.forward(ids, null).logits(), out.logits(), 0, 0);
            }
        }
    }

    @Test
    void float16CheckpointStaysHalfUnlessFloat32IsAsked() throws IOException {
        Path dir = Path.of("..", "tests", "fixtures", "models", "llama-lm-fp16");
        LoadOptions local = LoadOptions.defaults().withLocalFilesOnly(true);
        try (LlamaForCausalLM f32 = LlamaForCausalLM.fromPretrained(dir.toString(), local.withDtype("float32"));
                LlamaForCausalLM auto = LlamaForCausalLM.fromPretrained(dir.toString(), local.withDtype("auto"));
                LlamaForCausalLM f16 = LlamaForCausalLM.fromPretrained(dir.toString(), local.withDtype("float16"));
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(DType.F32, f32.dtype());
            assertEquals(DType.F16, auto.dtype());
            assertEquals(DType.F16, f16.dtype());
            NDArray ids = m.create(new long[] {PAD, 5, 17, 3, 42, 8, 2, 9, 11, 4, 29, 7}, new Shape(2, 6));
            NDArray mask = ids.neq(PAD).toType(DataType.INT64, false);
            NDArray expected = f32.forward(ids, mask).logits();
            BaseModelOutputWithPast half = auto.model().forward(ids, mask);
            assertEquals(DataType.FLOAT16, half.lastHiddenState().getDataType());
            assertEquals(DataType.FLOAT16, half.pastKeyValues().get(0)[0].getDataType());
            NDArray logits = auto.forward(ids, mask).logits();
            assertEquals(DataType.FLOAT32, logits.getDataType(), "Llama upcasts its logits");
            // Position 0 of row 0 is left padding: a query that sees no key. The fused attention kernel (Python's
            // default, used when no attention probabilities are asked for) gives such rows whatever its float16 or
            // float32 arithmetic makes of an all-masked row, so only real tokens are compared.
            assertClose("float16 vs float32 logits", logits.get(":, 1:, :"), expected.get(":, 1:, :"), 2e-2, 2e-2);
        }
    }

    @Test
    void bfloat16ModelRunsThroughTheBridge(@TempDir Path dir) throws IOException {
        try (LlamaForCausalLM f32 = tinyLm(Map.of());
                LlamaForCausalLM bf16 = tinyLm(Map.of("torch_dtype", "bfloat16"));
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(DType.BF16, bf16.dtype());
            NDArray ids = m.create(new long[] {PAD, 5, 17, 3, 42, 8, 2, 9, 11, 4, 29, 7}, new Shape(2, 6));
            NDArray mask = ids.neq(PAD).toType(DataType.INT64, false);
            CausalLMOutputWithPast out = bf16.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                    .outputAttentions(true).build());
            assertEquals(DType.BF16, TorchOps.dtypeOf(out.pastKeyValues().get(0)[0]));
            assertEquals(DType.BF16, TorchOps.dtypeOf(out.attentions().get(0)));
            assertEquals(DataType.FLOAT32, out.logits().getDataType(), "Llama upcasts its logits");
            NDArray expected = f32.forward(ids, mask).logits();
            double scale = expected.abs().max().getFloat();
            assertTrue(maxAbsDiff(out.logits(), expected) < 0.05 * scale,
                    "bfloat16 logits too far from float32: " + maxAbsDiff(out.logits(), expected) + " of " + scale);

            bf16.savePretrained(dir);
            LoadOptions local = LoadOptions.defaults().withLocalFilesOnly(true);
            try (LlamaForCausalLM auto = LlamaForCausalLM.fromPretrained(dir.toString(), local.withDtype("auto"));
                    LlamaForCausalLM up = LlamaForCausalLM.fromPretrained(dir.toString(), local)) {
                assertEquals(DType.BF16, auto.dtype());
                assertEquals(DType.F32, up.dtype());
                assertClose("bf16 reloaded", auto.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                        .outputAttentions(true).build()).logits(), out.logits(), 0, 0);
                assertTrue(maxAbsDiff(up.forward(ids, mask).logits(), expected) < 0.05 * scale);
            }
        }
    }

    @Test
    void sequenceClassificationPoolsTheLastRealToken() {
        LlamaConfig config = tinyConfig(Map.of("num_labels", 3));
        try (LlamaForSequenceClassification model = PreTrainedModel.fromConfig(LlamaForSequenceClassification.CLASS,
                config, 11, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {5, 17, 3, PAD, PAD, 11, 4, 29, 7, 8}, new Shape(2, 5));
            SequenceClassifierOutputWithPast out = model.forward(ModelInputs.builder().inputIds(ids)
                    .attentionMask(ids.neq(PAD).toType(DataType.INT64, false))
                    .labels(m.create(new long[] {2, 0})).build());
            assertArrayEquals(new long[] {2, 3}, out.logits().getShape().getShape());
            assertClose("row 0", out.logits().get("0:1"), model.forward(ids(m, 5, 17, 3), null).logits(), 1e-5, 1e-5);
            assertClose("row 1", out.logits().get("1:2"), model.forward(ids(m, 11, 4, 29, 7, 8), null).logits(),
                    1e-5, 1e-5);
            NDArray logp = out.logits().logSoftmax(1);
            double expectedLoss = -(logp.getFloat(0, 2) + logp.getFloat(1, 0)) / 2;
            assertEquals(expectedLoss, out.loss().getFloat(), 1e-5);
        }
    }

    @Test
    void forwardLeavesOnlyItsOutputsInTheCallersManager() {
        try (LlamaForCausalLM model = tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray mask = m.create(new long[] {0, 1, 1, 1, 1, 1}, new Shape(2, 3));
            int weights = model.manager().getManagedArrays().size();
            int before = m.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                CausalLMOutputWithPast out = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                        .labels(ids).outputHiddenStates(true).outputAttentions(true).useCache(true).build());
                long distinct = out.toMap().values().stream().distinct().count();
                assertEquals(before + distinct, m.getManagedArrays().size(), "temporaries left in the caller's manager");
                out.close();
                assertEquals(before, m.getManagedArrays().size());
            }
            assertEquals(weights, model.manager().getManagedArrays().size(), "forward allocated in the weights' manager");
        }
    }

    @Test
    void badArgumentsAreRefusedByName() {
        try (LlamaForCausalLM model = tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = ids(m, 1, 2, 3);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ModelInputs.builder().inputIds(ids).tokenTypeIds(ids).build()));
            assertTrue(e.getMessage().contains("token_type_ids"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> model.forward(ids, m.ones(new Shape(1, 1, 3))));
            assertTrue(e.getMessage().contains("attention_mask"), e.getMessage());
            // Like _update_causal_mask, mask columns past the keys are ignored (a static cache's mask can be longer).
            NDArray longer = m.create(new long[] {1, 1, 1, 0}, new Shape(1, 4));
            assertClose("longer mask", model.forward(ids, longer).logits(), model.forward(ids, null).logits(), 0, 0);
            e = assertThrows(IllegalArgumentException.class, () -> model.forward(ModelInputs.builder().inputIds(ids)
                    .pastKeyValues(List.<NDArray[]>of(new NDArray[] {m.zeros(new Shape(1, 2, 1, 8)),
                            m.zeros(new Shape(1, 2, 1, 8))})).build()));
            assertTrue(e.getMessage().contains("past_key_values holds 1 layers"), e.getMessage());
        }
    }
}
