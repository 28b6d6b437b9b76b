package io.transformers4j.models.nezha;

import static io.transformers4j.models.testing.NDAsserts.assertClose;
import static io.transformers4j.models.testing.NDAsserts.fixture;
import static io.transformers4j.models.testing.NDAsserts.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.models.testing.NDAsserts;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.modeling.outputs.MultipleChoiceModelOutput;
import io.transformers4j.modeling.outputs.QuestionAnsweringModelOutput;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.DType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tiny random NEZHAs plus the fixture checkpoints: what the parity cases do not pin. */
class NezhaModelTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    static NezhaConfig tinyConfig(Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", 60, "hidden_size", 32, "num_hidden_layers", 2,
                "num_attention_heads", 4, "intermediate_size", 37, "max_position_embeddings", 16,
                "max_relative_position", 3, "initializer_range", 0.3));
        c.putAll(extra);
        return PretrainedConfig.fromMap(c, NezhaConfig.class);
    }

    @Test
    void relativePositionTableIsTheClippedSinusoid() {
        try (NDManager m = NDManager.newBaseManager()) {
            int depth = 8;
            int maxRel = 3;
            NezhaRelativePositionsEncoding enc = new NezhaRelativePositionsEncoding(m, DType.F32, 16, depth, maxRel);
            float[] r = enc.forward(m, 7).toFloatArray(); // (7, 7, 8)
            for (int i = 0; i < 7; i++) {
                for (int j = 0; j < 7; j++) {
                    int p = Math.max(-maxRel, Math.min(maxRel, j - i)) + maxRel;
                    for (int k = 0; k < depth; k++) {
                        double angle = p * Math.exp((k / 2 * 2) * (-Math.log(10000.0) / depth));
                        double expected = k % 2 == 0 ? Math.sin(angle) : Math.cos(angle);
                        assertEquals(expected, r[(i * 7 + j) * depth + k], 2e-6, "r(" + i + ", " + j + ")[" + k + "]");
                    }
                }
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> enc.forward(m, 17));
            assertTrue(e.getMessage().contains("max_position_embeddings = 16"), e.getMessage());
        }
    }

    @Test
    void bareModelLoadsFromAHeadCheckpointAndTheTableIsNotAWeight() throws IOException {
        Path dir = fixture("nezha-seq-cls");
        try (NezhaModel model = NezhaModel.fromPretrained(dir.toString(), LoadOptions.defaults().withLocalFilesOnly(true));
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of(), model.missingKeys());
            assertEquals(List.of("classifier.bias", "classifier.weight"),
                    model.unexpectedKeys().stream().sorted().toList());
            assertTrue(model.stateDict().keySet().stream().noneMatch(k -> k.contains("relative")));
            Map<String, NDArray> in = NDAsserts.load(dir.resolve("inputs.safetensors"), m);
            Map<String, NDArray> expected = NDAsserts.load(dir.resolve("outputs.safetensors"), m);
            BaseModelOutputWithPoolingAndCrossAttentions out = model.forward(in.get("input_ids"),
                    in.get("attention_mask"), in.get("token_type_ids"));
            assertClose("last_hidden_state", out.lastHiddenState(), expected.get("hidden_states.2"), 1e-4, 1e-4);
            assertNotNull(out.poolerOutput());
        }
    }

    @Test
    void maskedLmDecoderIsTiedAndSurvivesASaveLoadRoundTrip(@TempDir Path tmp) throws IOException {
        try (NezhaForMaskedLM model = PreTrainedModel.fromConfig(NezhaForMaskedLM.CLASS, tinyConfig(Map.of()), 4,
                Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            assertFalse(model.stateDict().containsKey("cls.predictions.decoder.weight"));
            assertFalse(model.stateDict().containsKey("cls.predictions.decoder.bias"));
            assertTrue(model.stateDict().containsKey("cls.predictions.bias"));
            NDArray ids = m.create(new long[] {2, 17, 33, 5, 3}, new Shape(1, 5));
            NDArray logits = model.forward(ids, null, null).logits();
            model.savePretrained(tmp);
            try (NezhaForMaskedLM back = NezhaForMaskedLM.fromPretrained(tmp.toString(),
                    LoadOptions.defaults().withLocalFilesOnly(true).withStrict(true))) {
                assertClose("reloaded logits", back.forward(ids, null, null).logits(), logits, 0, 0);
            }
        }
    }

    @Test
    void decoderIsCausalAndRefusesACacheLikePython() {
        NezhaConfig config = tinyConfig(Map.of("is_decoder", true));
        try (NezhaModel model = PreTrainedModel.fromConfig(NezhaModel.CLASS, config, 9, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(new long[] {4, 8, 15, 16, 23, 42}, new Shape(1, 6));
            NDArray b = m.create(new long[] {4, 8, 15, 16, 50, 51}, new Shape(1, 6));
            BaseModelOutputWithPoolingAndCrossAttentions outA = model.forward(ModelInputs.builder().inputIds(a)
                    .useCache(true).build());
            NDArray hb = model.forward(ModelInputs.builder().inputIds(b).useCache(false).build()).lastHiddenState();
            NDArray ha = outA.lastHiddenState();
            assertClose("prefix unaffected by later tokens", hb.get(new NDIndex(":, :4")), ha.get(new NDIndex(":, :4")),
                    1e-6, 1e-6);
            assertTrue(maxAbsDiff(hb.get(new NDIndex(":, 4:")), ha.get(new NDIndex(":, 4:"))) > 1e-3);
            // Python indexes the relative table by the key length in both dimensions: a cache cannot work
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> model.forward(ModelInputs.builder().inputIds(a.get(new NDIndex(":, -1:")))
                            .pastKeyValues(outA.pastKeyValues()).build()));
            assertTrue(e.getMessage().contains("past_key_values"), e.getMessage());
        }
    }

    @Test
    void multipleChoiceAndQuestionAnsweringShapesAndLosses() {
        NezhaConfig config = tinyConfig(Map.of());
        try (NezhaForMultipleChoice mc = PreTrainedModel.fromConfig(NezhaForMultipleChoice.CLASS, config, 1,
                Device.cpu());
                NezhaForQuestionAnswering qa = PreTrainedModel.fromConfig(NezhaForQuestionAnswering.CLASS, config, 1,
                        Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {2, 5, 6, 3, 2, 7, 8, 3, 2, 9, 10, 3}, new Shape(2, 2, 3));
            MultipleChoiceModelOutput out = mc.forward(ModelInputs.builder().inputIds(ids)
                    .labels(m.create(new long[] {1, 0})).build());
            assertArrayEquals(new long[] {2, 2}, out.logits().getShape().getShape());
            NDArray logp = out.logits().logSoftmax(-1);
            assertEquals(-(logp.getFloat(0, 1) + logp.getFloat(1, 0)) / 2, out.loss().getFloat(), 1e-5);

            NDArray flat = ids.reshape(4, 3);
            QuestionAnsweringModelOutput q = qa.forward(ModelInputs.builder().inputIds(flat)
                    .set("start_positions", m.create(new long[] {0, 1, 2, 9}))
                    .set("end_positions", m.create(new long[] {1, 2, 2, 9})).build());
            assertArrayEquals(new long[] {4, 3}, q.startLogits().getShape().getShape());
            // the last row's positions are outside the input: ignored in both losses
            NDArray ls = q.startLogits().logSoftmax(-1);
            NDArray le = q.endLogits().logSoftmax(-1);
            double start = -(ls.getFloat(0, 0) + ls.getFloat(1, 1) + ls.getFloat(2, 2)) / 3;
            double end = -(le.getFloat(0, 1) + le.getFloat(1, 2) + le.getFloat(2, 2)) / 3;
            assertEquals((start + end) / 2, q.loss().getFloat(), 1e-5);
        }
    }

    @Test
    void configChecksHeadsAndCrossAttention() {
        assertThrows(IllegalArgumentException.class, () -> tinyConfig(Map.of("num_attention_heads", 5)));
        assertThrows(IllegalArgumentException.class, () -> tinyConfig(Map.of("add_cross_attention", true)));
        NezhaConfig defaults = PretrainedConfig.fromMap(Map.of(), NezhaConfig.class);
        assertEquals(64, defaults.maxRelativePosition());
        assertEquals(21128, defaults.vocabSize());
        assertEquals(3, defaults.eosTokenId());
    }
}
