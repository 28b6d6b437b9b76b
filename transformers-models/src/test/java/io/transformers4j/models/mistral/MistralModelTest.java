package io.transformers4j.models.mistral;

import static io.transformers4j.models.TestTensors.assertClose;
import static io.transformers4j.models.TestTensors.maxAbsDiff;
import static io.transformers4j.models.TestTensors.positionsFromMask;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.CausalLMOutputWithPast;
import io.transformers4j.modeling.outputs.SequenceClassifierOutputWithPast;
import io.transformers4j.torch.Torch;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tiny random Mistrals: the sliding window over cached decoding, padding, grouped-query shapes, config checks. */
class MistralModelTest {

    static final int VOCAB = 50;
    static final int PAD = 0;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    /** 2 layers, 4 query heads sharing 2 key/value heads, head_dim 8, sliding window 3 unless overridden. */
    static MistralConfig tinyConfig(Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", VOCAB, "hidden_size", 32, "intermediate_size", 40,
                "num_hidden_layers", 2, "num_attention_heads", 4, "num_key_value_heads", 2,
                "max_position_embeddings", 16, "initializer_range", 0.5, "pad_token_id", PAD, "sliding_window", 3));
        c.putAll(extra);
        return PretrainedConfig.fromMap(c, MistralConfig.class);
    }

    static MistralForCausalLM tinyLm(Map<String, Object> extra) {
        return PreTrainedModel.fromConfig(MistralForCausalLM.CLASS, tinyConfig(extra), 3, Device.cpu());
    }

    @Test
    void configDefaults() {
        MistralConfig c = PretrainedConfig.fromMap(Map.of(), MistralConfig.class);
        assertEquals(8, c.numKeyValueHeads());
        assertEquals(4096, c.slidingWindow());
        assertEquals(131072, c.maxPositionEmbeddings());
        assertEquals(MistralForCausalLM.CLASS, ModelRegistry.forTask(c, AutoTask.CAUSAL_LM));
        Map<String, Object> nullWindow = new HashMap<>();
        nullWindow.put("sliding_window", null);
        nullWindow.put("num_key_value_heads", null);
        MistralConfig full = PretrainedConfig.fromMap(nullWindow, MistralConfig.class);
        assertNull(full.slidingWindow());
        assertEquals(32, full.numKeyValueHeads(), "null num_key_value_heads means num_attention_heads");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tinyConfig(Map.of("num_key_value_heads", 3)));
        assertTrue(e.getMessage().contains("num_key_value_heads"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tinyConfig(Map.of("num_attention_heads", 5)));
        assertTrue(e.getMessage().contains("hidden_size must be divisible by num_heads"), e.getMessage());
    }

    @Test
    void slidingWindowMasksKeysMoreThanWindowTokensBack() {
        try (MistralForCausalLM model = tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {5, 17, 3, 42, 8, 8, 21, 9}, new Shape(1, 8));
            NDArray attn = model.forward(ModelInputs.builder().inputIds(ids).outputAttentions(true).build())
                    .attentions().get(1); // (1, 4, 8, 8)
            float[] w = attn.toFloatArray();
            for (int h = 0; h < 4; h++) {
                for (int i = 0; i < 8; i++) {
                    for (int j = 0; j < 8; j++) {
                        float v = w[(h * 8 + i) * 8 + j];
                        boolean visible = j <= i && i - j <= 3; // window + 1 keys including itself
                        assertTrue(visible ? v > 0 : v == 0, "head " + h + " query " + i + " key " + j + ": " + v);
                    }
                }
            }
        }
    }

    @Test
    void cachedDecodingWithSlidingWindowMatchesOneForward() {
        try (MistralForCausalLM model = tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {PAD, PAD, 5, 17, 3, 42, 8, 8, 21, 9, 11, 4, 29, 7, 3, 14, 15, 9, 26, 5},
                    new Shape(2, 10));
            NDArray mask = ids.neq(PAD).toType(DataType.INT64, false);
            NDArray positions = positionsFromMask(mask);
            NDArray full = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask).positionIds(positions)
                    .useCache(false).build()).logits();
            // Prefix of 5, then two steps of 1 and 2, 2 tokens: the window reaches back into the cache each time.
            int[] cuts = {0, 5, 6, 8, 10};
            CausalLMOutputWithPast step = null;
            NDList pieces = new NDList();
            for (int c = 0; c + 1 < cuts.length; c++) {
                int a = cuts[c];
                int b = cuts[c + 1];
                ModelInputs.Builder in = ModelInputs.builder().inputIds(ids.get(new NDIndex(":, {}:{}", a, b)))
                        .attentionMask(mask.get(new NDIndex(":, :{}", b)))
                        .positionIds(positions.get(new NDIndex(":, {}:{}", a, b))).useCache(true);
                if (step != null) {
                    in.pastKeyValues(step.pastKeyValues());
                }
                step = model.forward(in.build());
                pieces.add(step.logits());
            }
            NDArray cached = NDArrays.concat(pieces, 1);
            assertClose("cached logits", cached.get(":, 2:"), full.get(":, 2:"), 1e-5, 1e-5);
            // The whole sequence stays cached: the eager mask, not the cache, applies the window.
            assertArrayEquals(new long[] {2, 2, 10, 8}, step.pastKeyValues().get(0)[0].getShape().getShape());

            // A model without a window differs on this input: the test is sensitive to the window.
            try (MistralForCausalLM wide = tinyLm(Map.of("sliding_window", 100))) {
                assertTrue(maxAbsDiff(wide.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                        .positionIds(positions).build()).logits().get(":, 2:"), full.get(":, 2:")) > 1e-3);
            }
        }
    }

    @Test
    void leftPaddedRowsMatchUnpaddedRows() {
        try (MistralForCausalLM model = tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {PAD, PAD, 11, 4, 29, 7, 3, 14, 15, 9, 26, 5}, new Shape(2, 6));
            NDArray mask = m.create(new long[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, new Shape(2, 6));
            CausalLMOutputWithPast out = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                    .positionIds(positionsFromMask(mask)).build());
            NDArray alone = model.forward(m.create(new long[] {11, 4, 29, 7}, new Shape(1, 4)), null).logits();
            assertClose("left-padded row", out.logits().get("0:1, 2:"), alone, 1e-5, 1e-5);
            NDArray other = model.forward(m.create(new long[] {3, 14, 15, 9, 26, 5}, new Shape(1, 6)), null).logits();
            assertClose("unpadded row", out.logits().get("1:2"), other, 1e-5, 1e-5);
            assertArrayEquals(new long[] {2, 2, 6, 8}, out.pastKeyValues().get(1)[1].getShape().getShape());

            // The next step's mask must cover the 6 cached tokens and the new one.
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(
                    ModelInputs.builder().inputIds(m.create(new long[] {1, 2}, new Shape(2, 1))).attentionMask(mask)
                            .pastKeyValues(out.pastKeyValues()).build()));
            assertTrue(e.getMessage().contains("Attention mask should be of size (2, 1, 1, 7)"), e.getMessage());
        }
    }

    @Test
    void windowedModelsRunPastMaxPositionEmbeddingsOthersRefuse() {
        try (MistralForCausalLM windowed = tinyLm(Map.of());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.randomInteger(1, VOCAB, new Shape(1, 20), DataType.INT64);
            assertEquals(20, windowed.forward(ids, null).logits().getShape().get(1));
            Map<String, Object> noWindow = new HashMap<>();
            noWindow.put("sliding_window", null);
            try (MistralForCausalLM full = tinyLm(noWindow)) {
                assertEquals(16, full.forward(ids.get(":, :16"), null).logits().getShape().get(1));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> full.forward(ids, null));
                assertTrue(e.getMessage().contains("max_position_embeddings (16)")
                        && e.getMessage().contains("no sliding_window"), e.getMessage());
            }
        }
    }

    @Test
    void sequenceClassificationMatchesTheFixtureRecipe() {
        try (MistralForSequenceClassification model = PreTrainedModel.fromConfig(
                MistralForSequenceClassification.CLASS, tinyConfig(Map.of("num_labels", 1)), 5, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {5, 17, 3, PAD, 11, 4, 29, 7}, new Shape(2, 4));
            SequenceClassifierOutputWithPast out = model.forward(ModelInputs.builder().inputIds(ids)
                    .attentionMask(ids.neq(PAD).toType(DataType.INT64, false))
                    .labels(m.create(new float[] {0.5f, -1f})).build());
            assertArrayEquals(new long[] {2, 1}, out.logits().getShape().getShape());
            NDArray row0 = model.forward(m.create(new long[] {5, 17, 3}, new Shape(1, 3)), null).logits();
            assertClose("row 0 pooled before its first pad", out.logits().get("0:1"), row0, 1e-5, 1e-5);
            // num_labels 1: regression, MSE.
            float[] l = out.logits().toFloatArray();
            double mse = (Math.pow(l[0] - 0.5, 2) + Math.pow(l[1] + 1, 2)) / 2;
            assertEquals(mse, out.loss().getFloat(), 1e-5, Arrays.toString(l));
        }
    }

    @Test
    void consumedLayerOutputsAreFreedButNotTheCallersEmbedsNorCollectedStates() {
        // Each layer's input is freed once the layer's output replaces it (LayerScope.freeConsumed); what the caller
        // still holds must survive: its inputs_embeds (layer 0's input) and the hidden states it asked for.
        try (MistralForCausalLM model = tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {5, 17, 3, 42, 8}, new Shape(1, 5));
            NDArray embeds = model.model().embedTokens().forward(ids);
            NDArray fromIds = model.forward(ModelInputs.builder().inputIds(ids).build()).logits();

            NDArray fromEmbeds = model.forward(ModelInputs.builder().inputsEmbeds(embeds).build()).logits();
            assertTrue(!embeds.isReleased(), "the caller's inputs_embeds were freed");
            assertClose("logits from inputs_embeds", fromEmbeds, fromIds, 0, 0);

            CausalLMOutputWithPast out = model.forward(ModelInputs.builder().inputsEmbeds(embeds)
                    .outputHiddenStates(true).build());
            assertTrue(!embeds.isReleased(), "the caller's inputs_embeds were freed");
            assertEquals(3, out.hiddenStates().size()); // the embeddings, after layer 0, after the final norm
            for (NDArray h : out.hiddenStates()) {
                assertTrue(!h.isReleased(), "a collected hidden state was freed");
            }
            assertClose("hidden_states[0]", out.hiddenStates().get(0), embeds, 0, 0);
            assertClose("logits with hidden states", out.logits(), fromIds, 0, 0);
        }
    }

    @Test
    void freeConsumedKeepsWhatItMustKeep() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.zeros(new Shape(2));
            NDArray b = m.ones(new Shape(2));
            io.transformers4j.models.LayerScope.freeConsumed(a, b, null, true);
            assertTrue(!a.isReleased(), "collected for output_hidden_states");
            io.transformers4j.models.LayerScope.freeConsumed(a, b, a, false);
            assertTrue(!a.isReleased(), "the caller's inputs_embeds");
            io.transformers4j.models.LayerScope.freeConsumed(a, a, null, false);
            assertTrue(!a.isReleased(), "replaced by itself");
            io.transformers4j.models.LayerScope.freeConsumed(a, b, null, false);
            assertTrue(a.isReleased(), "consumed and replaced");
            assertTrue(!b.isReleased());
        }
    }
}
