package io.transformers4j.models.t5;

import static io.transformers4j.models.testing.NDAsserts.assertClose;
import static io.transformers4j.models.testing.NDAsserts.fixture;
import static io.transformers4j.models.testing.NDAsserts.maxAbsDiff;
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
import io.transformers4j.models.testing.NDAsserts;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.Seq2SeqLMOutput;
import io.transformers4j.torch.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tiny random T5s: cache consistency, loading and config logic that the parity fixtures do not pin. */
class T5ModelTest {

    static final int VOCAB = 50;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    static T5Config tinyConfig(Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", VOCAB, "d_model", 32, "d_kv", 8, "d_ff", 37,
                "num_layers", 2, "num_decoder_layers", 3, "num_heads", 4, "relative_attention_num_buckets", 8,
                "relative_attention_max_distance", 20, "decoder_start_token_id", 0));
        c.putAll(extra);
        return PretrainedConfig.fromMap(c, T5Config.class);
    }

    @Test
    void feedForwardProjIsParsedLikePython() {
        T5Config relu = tinyConfig(Map.of());
        assertEquals("relu", relu.denseActFn());
        assertFalse(relu.isGatedAct());
        T5Config gated = tinyConfig(Map.of("feed_forward_proj", "gated-gelu"));
        assertEquals("gelu_new", gated.denseActFn()); // backwards compatibility: gated-gelu is the tanh form
        assertTrue(gated.isGatedAct());
        T5Config silu = tinyConfig(Map.of("feed_forward_proj", "gated-silu"));
        assertEquals("silu", silu.denseActFn());
        // A stored derived value wins, as PretrainedConfig.__init__ sets kwargs after T5Config computed them.
        assertEquals("gelu", tinyConfig(Map.of("feed_forward_proj", "gated-gelu", "dense_act_fn", "gelu")).denseActFn());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tinyConfig(Map.of("feed_forward_proj", "fancy-relu")));
        assertTrue(e.getMessage().contains("fancy-relu"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tinyConfig(Map.of("feed_forward_proj", "gated-gelu-x")));
        assertEquals(2, PretrainedConfig.fromMap(Map.of("num_layers", 2), T5Config.class).numDecoderLayers());
        assertEquals(0, relu.padTokenId());
        assertEquals(1, relu.eosTokenId());
        assertTrue(relu.isEncoderDecoder());
    }

    @Test
    void relativePositionBucketsMatchMeshTensorflow() {
        try (NDManager m = NDManager.newBaseManager()) {
            long[] rel = {0, 1, -1, 7, -8, -9, 20, -200, 200};
            NDArray rp = m.create(rel);
            // bidirectional, 32 buckets, max distance 128: 16 per direction, 8 exact
            long[] bi = T5Attention.relativePositionBucket(rp, true, 32, 128).toLongArray();
            assertArrayEquals(new long[] {0, 17, 1, 23, 8, 8, 26, 15, 31}, bi);
            // causal (decoder): later keys share bucket 0; 16 exact then log-spaced up to 31
            long[] causal = T5Attention.relativePositionBucket(rp, false, 32, 128).toLongArray();
            assertArrayEquals(new long[] {0, 0, 1, 0, 8, 9, 0, 31, 0}, causal);
        }
    }

    @Test
    void shiftRightStartsWithDecoderStartAndReplacesIgnoredLabels() {
        try (T5ForConditionalGeneration model = PreTrainedModel.fromConfig(T5ForConditionalGeneration.CLASS,
                tinyConfig(Map.of("decoder_start_token_id", 7, "pad_token_id", 3)), 1, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray labels = m.create(new long[] {5, 6, -100, -100, 9, -100, 4, 2}, new Shape(2, 4));
            assertArrayEquals(new long[] {7, 5, 6, 3, 7, 9, 3, 4}, model.shiftRight(labels).toLongArray());
        }
    }

    @Test
    void decoderWithCacheEqualsFullDecoderForward() {
        try (T5ForConditionalGeneration model = PreTrainedModel.fromConfig(T5ForConditionalGeneration.CLASS,
                tinyConfig(Map.of()), 11, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {4, 9, 13, 22, 7, 1, 0, 5, 31, 8, 2, 1}, new Shape(2, 6));
            NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 6));
            NDArray dec = m.create(new long[] {0, 12, 40, 3, 3, 17, 25, 0, 6, 6, 19, 2, 44, 9, 30, 1}, new Shape(2, 8));
            Seq2SeqLMOutput full = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                    .decoderInputIds(dec).useCache(false).build());
            assertNull(full.pastKeyValues());

            // forward() with past_key_values: a prefix of 3, then one token at a time
            BaseModelOutput enc = model.encode(ids, mask);
            assertClose("encode", enc.lastHiddenState(), full.encoderLastHiddenState(), 1e-6, 1e-6);
            Seq2SeqLMOutput step = model.forward(ModelInputs.builder().set("encoder_outputs", enc).attentionMask(mask)
                    .decoderInputIds(dec.get(new NDIndex(":, :3"))).useCache(true).build());
            NDList pieces = new NDList(step.logits());
            for (int t = 3; t < 8; t++) {
                step = model.forward(ModelInputs.builder().set("encoder_outputs", enc).attentionMask(mask)
                        .decoderInputIds(dec.get(new NDIndex(":, {}:{}", t, t + 1)))
                        .pastKeyValues(step.pastKeyValues()).useCache(true).build());
                pieces.add(step.logits());
            }
            assertClose("forward with cache", NDArrays.concat(pieces, 1), full.logits(), 1e-5, 1e-5);
            List<NDArray[]> cache = step.pastKeyValues();
            assertEquals(3, cache.size()); // num_decoder_layers
            assertEquals(4, cache.get(0).length); // self k, self v, cross k, cross v
            assertArrayEquals(new long[] {2, 4, 8, 8}, cache.get(0)[0].getShape().getShape());
            assertArrayEquals(new long[] {2, 4, 6, 8}, cache.get(0)[2].getShape().getShape());

            // the generate() entry point, one token at a time from the start
            List<NDArray[]> past = null;
            NDList steps = new NDList();
            for (int t = 0; t < 8; t++) {
                Seq2SeqLMOutput o = model.decode(dec.get(new NDIndex(":, {}:{}", t, t + 1)), null,
                        enc.lastHiddenState(), mask, past);
                assertNull(o.encoderLastHiddenState());
                steps.add(o.logits());
                past = o.pastKeyValues();
            }
            assertClose("decode steps", NDArrays.concat(steps, 1), full.logits(), 1e-5, 1e-5);

            // the cache carries information: the last token alone predicts something else
            NDArray alone = model.forward(ModelInputs.builder().set("encoder_outputs", enc).attentionMask(mask)
                    .decoderInputIds(dec.get(new NDIndex(":, -1:"))).useCache(false).build()).logits();
            assertTrue(maxAbsDiff(alone, full.logits().get(new NDIndex(":, -1:"))) > 1e-3,
                    "test is not sensitive to the cache");
        }
    }

    @Test
    void labelsGiveTheShiftedTeacherForcedLoss() {
        try (T5ForConditionalGeneration model = PreTrainedModel.fromConfig(T5ForConditionalGeneration.CLASS,
                tinyConfig(Map.of("feed_forward_proj", "gated-gelu", "tie_word_embeddings", false)), 5, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {4, 9, 13, 22, 7, 1}, new Shape(1, 6));
            NDArray labels = m.create(new long[] {12, 40, 3, -100}, new Shape(1, 4));
            Seq2SeqLMOutput withLabels = model.forward(ModelInputs.builder().inputIds(ids).labels(labels).build());
            NDArray dec = m.create(new long[] {0, 12, 40, 3}, new Shape(1, 4));
            Seq2SeqLMOutput explicit = model.forward(ModelInputs.builder().inputIds(ids).decoderInputIds(dec).build());
            assertClose("logits", withLabels.logits(), explicit.logits(), 0, 0);
            // mean cross-entropy over the three labels that are not -100
            NDArray logp = explicit.logits().get(new NDIndex("0, :3")).logSoftmax(-1);
            double expected = -(logp.getFloat(0, 12) + logp.getFloat(1, 40) + logp.getFloat(2, 3)) / 3.0;
            assertEquals(expected, withLabels.loss().getFloat(), 1e-5);
        }
    }

    @Test
    void encoderModelLoadsFromAConditionalGenerationCheckpoint() throws IOException {
        Path dir = fixture("t5-cond-gen");
        LoadOptions options = LoadOptions.defaults().withLocalFilesOnly(true);
        try (T5EncoderModel model = T5EncoderModel.fromPretrained(dir.toString(), options);
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of(), model.missingKeys());
            assertEquals(List.of(), model.unexpectedKeys()); // decoder.* ignored, lm_head tied (absent)
            Map<String, NDArray> in = NDAsserts.load(dir.resolve("inputs.safetensors"), m);
            Map<String, NDArray> expected = NDAsserts.load(dir.resolve("outputs.safetensors"), m);
            BaseModelOutput out = model.forward(ModelInputs.builder().inputIds(in.get("input_ids"))
                    .attentionMask(in.get("attention_mask")).outputHiddenStates(true).outputAttentions(true).build());
            assertClose("last_hidden_state", out.lastHiddenState(), expected.get("encoder_last_hidden_state"), 1e-4,
                    1e-4);
            for (int i = 0; i < 3; i++) {
                assertClose("hidden_states." + i, out.hiddenStates().get(i), expected.get("encoder_hidden_states." + i),
                        1e-4, 1e-4);
            }
            assertClose("attentions.1", out.attentions().get(1), expected.get("encoder_attentions.1"), 1e-4, 1e-4);
        }
    }

    @Test
    void autoClassesPickTheT5Classes() {
        T5Config c = tinyConfig(Map.of());
        assertEquals(T5ForConditionalGeneration.CLASS, ModelRegistry.forTask(c, AutoTask.SEQ2SEQ_LM));
        assertEquals(T5Model.CLASS, ModelRegistry.forTask(c, AutoTask.MODEL));
        assertEquals(T5EncoderModel.CLASS, ModelRegistry.modelClass("T5EncoderModel"));
    }

    @Test
    void forwardLeavesOnlyItsOutputsInTheCallersManager() {
        try (T5ForConditionalGeneration model = PreTrainedModel.fromConfig(T5ForConditionalGeneration.CLASS,
                tinyConfig(Map.of()), 3, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {4, 9, 13, 22, 7, 1}, new Shape(2, 3));
            NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 0}, new Shape(2, 3));
            int weights = model.manager().getManagedArrays().size();
            int before = m.getManagedArrays().size();
            for (int i = 0; i < 2; i++) {
                Seq2SeqLMOutput out = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
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
    void unknownArgumentsAreRejectedByName() {
        try (T5EncoderModel model = PreTrainedModel.fromConfig(T5EncoderModel.CLASS, tinyConfig(Map.of()), 3,
                Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {4, 9}, new Shape(1, 2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ModelInputs.builder().inputIds(ids).decoderInputIds(ids).build()));
            assertTrue(e.getMessage().contains("decoder_input_ids"), e.getMessage());
            assertEquals(DataType.FLOAT32, model.forward(ids, null).lastHiddenState().getDataType());
        }
    }
}
