package io.transformers4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.auto.AutoModelForMaskedLM;
import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelRegistry;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.modeling.outputs.CausalLMOutputWithCrossAttentions;
import io.transformers4j.modeling.outputs.MaskedLMOutput;
import io.transformers4j.modeling.outputs.MultipleChoiceModelOutput;
import io.transformers4j.modeling.outputs.NextSentencePredictorOutput;
import io.transformers4j.modeling.outputs.QuestionAnsweringModelOutput;
import io.transformers4j.modeling.outputs.SequenceClassifierOutput;
import io.transformers4j.modeling.outputs.TokenClassifierOutput;
import io.transformers4j.nn.Losses;
import io.transformers4j.torch.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BertModelTest {

    private static final long B = 2;
    private static final long T = 7;
    private static final int VOCAB = 99;
    private static final int HIDDEN = 32;
    private static final int LAYERS = 2;
    private static final int HEADS = 4;

    private NDManager m;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    @BeforeEach
    void manager() {
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    private static Map<String, Object> tiny(Object... extra) {
        Map<String, Object> c = new HashMap<>();
        c.put("vocab_size", VOCAB);
        c.put("hidden_size", HIDDEN);
        c.put("num_hidden_layers", LAYERS);
        c.put("num_attention_heads", HEADS);
        c.put("intermediate_size", 37);
        c.put("max_position_embeddings", 64);
        for (int i = 0; i < extra.length; i += 2) {
            c.put((String) extra[i], extra[i + 1]);
        }
        return c;
    }

    private static <M extends PreTrainedModel> M build(ModelClass<BertConfig, M> cls, Object... extra) {
        return PreTrainedModel.fromConfig(cls, BertConfig.of(tiny(extra)), 42, Device.cpu());
    }

    private NDArray ids(long... shape) {
        return m.randomInteger(1, VOCAB, new Shape(shape), DataType.INT64);
    }

    /** Right-padded mask: row 1 has its last two tokens padded. */
    private NDArray paddedMask() {
        NDArray mask = m.ones(new Shape(B, T), DataType.INT64);
        mask.set(new ai.djl.ndarray.index.NDIndex("1, " + (T - 2) + ":"), 0);
        return mask;
    }

    private static ModelInputs.Builder all(NDArray inputIds, NDArray mask) {
        return ModelInputs.builder().inputIds(inputIds).attentionMask(mask).outputHiddenStates(true)
                .outputAttentions(true);
    }

    /** abs(a - e) <= atol + rtol * abs(e), element-wise; fails naming the worst element. */
    static void assertClose(String what, NDArray actual, NDArray expected, double atol, double rtol) {
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what + ": shape");
        float[] a = actual.toType(DataType.FLOAT32, false).toFloatArray();
        float[] e = expected.toType(DataType.FLOAT32, false).toFloatArray();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < e.length; i++) {
            double excess = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
            if (Double.isNaN(excess) || excess > worstExcess) {
                worst = i;
                worstExcess = Double.isNaN(excess) ? Double.POSITIVE_INFINITY : excess;
            }
        }
        if (worst >= 0) {
            throw new AssertionError(what + ": element " + worst + " is " + a[worst] + ", expected " + e[worst]
                    + " (atol " + atol + ", rtol " + rtol + ")");
        }
    }

    // ---------------------------------------------------------------- shapes

    @Test
    void bareModelShapesWithAndWithoutPooler() {
        try (BertModel model = build(BertModel.CLASS)) {
            BaseModelOutputWithPoolingAndCrossAttentions out = model.forward(all(ids(B, T), paddedMask()).build());
            assertEquals(new Shape(B, T, HIDDEN), out.lastHiddenState().getShape());
            assertEquals(new Shape(B, HIDDEN), out.poolerOutput().getShape());
            assertEquals(LAYERS + 1, out.hiddenStates().size());
            assertSame(out.lastHiddenState(), out.hiddenStates().get(LAYERS));
            assertEquals(LAYERS, out.attentions().size());
            assertEquals(new Shape(B, HEADS, T, T), out.attentions().get(0).getShape());
            assertNull(out.pastKeyValues(), "an encoder returns no cache");
            assertNull(out.crossAttentions());
            assertEquals(List.of("last_hidden_state", "pooler_output", "hidden_states.0", "hidden_states.1",
                    "hidden_states.2", "attentions.0", "attentions.1"), new ArrayList<>(out.toMap().keySet()));
        }
        try (BertModel model = PreTrainedModel.fromConfig(
                new ModelClass<>("BertModel", BertConfig.class, "bert", false, (c, w) -> new BertModel(c, w, false)),
                BertConfig.of(tiny()), 42, Device.cpu())) {
            BaseModelOutputWithPoolingAndCrossAttentions out = model.forward(ids(B, T));
            assertNull(out.poolerOutput());
            assertFalse(model.stateDict().keySet().stream().anyMatch(k -> k.startsWith("pooler")));
            assertEquals(List.of("last_hidden_state"), new ArrayList<>(out.toMap().keySet()));
        }
    }

    @Test
    void headShapes() {
        NDArray inputIds = ids(B, T);
        NDArray mask = paddedMask();
        try (BertForPreTraining model = build(BertForPreTraining.CLASS)) {
            BertForPreTrainingOutput out = model.forward(all(inputIds, mask).build());
            assertEquals(new Shape(B, T, VOCAB), out.predictionLogits().getShape());
            assertEquals(new Shape(B, 2), out.seqRelationshipLogits().getShape());
            assertNull(out.loss());
            assertTrue(out.toMap().containsKey("seq_relationship_logits"));
        }
        try (BertForMaskedLM model = build(BertForMaskedLM.CLASS)) {
            MaskedLMOutput out = model.forward(inputIds, mask);
            assertEquals(new Shape(B, T, VOCAB), out.logits().getShape());
        }
        try (BertLMHeadModel model = build(BertLMHeadModel.CLASS, "is_decoder", true)) {
            CausalLMOutputWithCrossAttentions out = model.forward(inputIds, mask);
            assertEquals(new Shape(B, T, VOCAB), out.logits().getShape());
            assertEquals(LAYERS, out.pastKeyValues().size(), "a decoder returns its cache by default (use_cache)");
            assertEquals(new Shape(B, HEADS, T, HIDDEN / HEADS), out.pastKeyValues().get(0)[0].getShape());
            assertTrue(out.toMap().containsKey("past_key_values.1.1"));
        }
        try (BertForNextSentencePrediction model = build(BertForNextSentencePrediction.CLASS)) {
            NextSentencePredictorOutput out = model.forward(inputIds, mask);
            assertEquals(new Shape(B, 2), out.logits().getShape());
        }
        try (BertForSequenceClassification model = build(BertForSequenceClassification.CLASS, "num_labels", 3)) {
            SequenceClassifierOutput out = model.forward(inputIds, mask);
            assertEquals(new Shape(B, 3), out.logits().getShape());
        }
        try (BertForTokenClassification model = build(BertForTokenClassification.CLASS, "num_labels", 5)) {
            TokenClassifierOutput out = model.forward(inputIds, mask);
            assertEquals(new Shape(B, T, 5), out.logits().getShape());
        }
        try (BertForQuestionAnswering model = build(BertForQuestionAnswering.CLASS)) {
            QuestionAnsweringModelOutput out = model.forward(inputIds, mask);
            assertEquals(new Shape(B, T), out.startLogits().getShape());
            assertEquals(new Shape(B, T), out.endLogits().getShape());
        }
        try (BertForMultipleChoice model = build(BertForMultipleChoice.CLASS)) {
            MultipleChoiceModelOutput out = model.forward(ModelInputs.builder().inputIds(ids(B, 3, T))
                    .labels(m.create(new long[] {0, 2})).outputHiddenStates(true).build());
            assertEquals(new Shape(B, 3), out.logits().getShape());
            assertEquals(new Shape(B * 3, T, HIDDEN), out.hiddenStates().get(0).getShape());
            assertEquals(new Shape(), out.loss().getShape());
        }
    }

    @Test
    void forwardLeavesOnlyItsOutputsInTheCallersManager() {
        try (BertForMaskedLM model = build(BertForMaskedLM.CLASS)) {
            NDArray inputIds = ids(B, T);
            NDArray mask = paddedMask();
            int before = m.getManagedArrays().size();
            MaskedLMOutput out = model.forward(all(inputIds, mask).build());
            assertEquals(before + out.toMap().size(), m.getManagedArrays().size(),
                    "intermediates of the forward must be released");
            out.close();
            assertEquals(before, m.getManagedArrays().size());
        }
    }

    // ---------------------------------------------------------------- loading

    @Test
    void tiedDecoderIsTheWordEmbeddingAndIsNotSaved(@TempDir Path dir) throws IOException {
        try (BertForMaskedLM model = build(BertForMaskedLM.CLASS)) {
            assertSame(model.bert.inputEmbeddings(), model.cls.predictions.decoder.weight);
            assertSame(model.cls.predictions.bias, model.cls.predictions.decoder.bias);
            assertFalse(model.stateDict().containsKey("cls.predictions.decoder.weight"));
            assertFalse(model.stateDict().containsKey("cls.predictions.decoder.bias"));
            model.savePretrained(dir);
            NDArray inputIds = ids(B, T);
            try (BertForMaskedLM loaded = BertForMaskedLM.fromPretrained(dir.toString(),
                    LoadOptions.defaults().withLocalFilesOnly(true).withStrict(true))) {
                assertClose("logits after save/load", loaded.forward(inputIds).logits(),
                        model.forward(inputIds).logits(), 0, 0);
            }
        }
        try (BertForMaskedLM untied = build(BertForMaskedLM.CLASS, "tie_word_embeddings", false)) {
            assertTrue(untied.stateDict().containsKey("cls.predictions.decoder.weight"));
        }
    }

    @Test
    void bareModelLoadsFromHeadCheckpointAndTheReverse(@TempDir Path dir) throws IOException {
        Path mlmDir = dir.resolve("mlm");
        Path bareDir = dir.resolve("bare");
        NDArray inputIds = ids(B, T);
        NDArray mask = paddedMask();
        LoadOptions local = LoadOptions.defaults().withLocalFilesOnly(true);
        try (BertForMaskedLM mlm = build(BertForMaskedLM.CLASS)) {
            mlm.savePretrained(mlmDir);
            NDArray expected = mlm.forward(all(inputIds, mask).build()).hiddenStates().get(LAYERS);
            try (BertModel bare = BertModel.fromPretrained(mlmDir.toString(), local)) {
                // Python: the head checkpoint has no pooler; its cls.* tensors are not used.
                assertEquals(List.of("pooler.dense.bias", "pooler.dense.weight"), sorted(bare.missingKeys()));
                assertEquals(List.of("cls.predictions.bias", "cls.predictions.transform.LayerNorm.bias",
                        "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.dense.bias",
                        "cls.predictions.transform.dense.weight"), sorted(bare.unexpectedKeys()));
                // expected came from the eager path (attentions requested), this one from fused SDPA: float rounding.
                assertClose("encoder output", bare.forward(inputIds, mask).lastHiddenState(), expected, 1e-5, 1e-5);
            }
        }
        try (BertModel bare = build(BertModel.CLASS)) {
            bare.savePretrained(bareDir);
            NDArray expected = bare.forward(inputIds, mask).lastHiddenState();
            try (BertForMaskedLM mlm = BertForMaskedLM.fromPretrained(bareDir.toString(), local)) {
                // The tied decoder weight / bias are not missing: they are the embeddings and cls.predictions.bias.
                assertEquals(List.of("cls.predictions.bias", "cls.predictions.transform.LayerNorm.bias",
                        "cls.predictions.transform.LayerNorm.weight", "cls.predictions.transform.dense.bias",
                        "cls.predictions.transform.dense.weight"), sorted(mlm.missingKeys()));
                assertEquals(List.of("pooler.dense.bias", "pooler.dense.weight"), sorted(mlm.unexpectedKeys()));
                assertClose("encoder output", mlm.forward(all(inputIds, mask).build()).hiddenStates().get(LAYERS),
                        expected, 1e-5, 1e-5); // eager (attentions requested) vs fused SDPA: float rounding

            }
        }
    }

    /** Python reports missing / unexpected keys sorted. */
    private static List<String> sorted(List<String> keys) {
        return keys.stream().sorted().toList();
    }

    @Test
    void oldCheckpointsPositionIdsBufferIsIgnored(@TempDir Path dir) throws IOException {
        try (BertForMaskedLM mlm = build(BertForMaskedLM.CLASS)) {
            mlm.savePretrained(dir);
        }
        // Checkpoints saved before transformers 4.31 hold the position_ids buffer (persistent then).
        Path file = dir.resolve("model.safetensors");
        Map<String, NDArray> tensors = new java.util.LinkedHashMap<>();
        try (io.transformers4j.weights.SafetensorsFile f = io.transformers4j.weights.SafetensorsFile.open(file)) {
            for (String k : f.keys()) {
                tensors.put(k, f.load(k, m, null).duplicate());
            }
        }
        tensors.put("bert.embeddings.position_ids", m.arange(0, 64, 1, DataType.INT64).reshape(1, 64));
        io.transformers4j.weights.SafetensorsWriter.write(file, tensors, Map.of("format", "pt"));
        LoadOptions strict = LoadOptions.defaults().withLocalFilesOnly(true).withStrict(true);
        try (BertForMaskedLM mlm = BertForMaskedLM.fromPretrained(dir.toString(), strict)) {
            assertEquals(List.of(), mlm.unexpectedKeys());
        }
    }

    @Test
    void checkpointShapeDisagreeingWithConfigFailsNamingKeyAndShapes(@TempDir Path dir) throws IOException {
        try (BertModel bare = build(BertModel.CLASS)) {
            bare.savePretrained(dir);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BertModel.fromPretrained(
                dir.toString(), LoadOptions.defaults().withLocalFilesOnly(true).withConfig("intermediate_size", 40)));
        assertTrue(e.getMessage().contains("encoder.layer.0.intermediate.dense.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("[37, 32]") && e.getMessage().contains("[40, 32]"), e.getMessage());
    }

    @Test
    void autoClassesFindBert(@TempDir Path dir) throws IOException {
        assertSame(BertForMaskedLM.CLASS, ModelRegistry.forTask(BertConfig.of(tiny()), AutoTask.MASKED_LM));
        assertSame(BertLMHeadModel.CLASS, ModelRegistry.forTask(BertConfig.of(tiny()), AutoTask.CAUSAL_LM));
        assertSame(BertForQuestionAnswering.CLASS, ModelRegistry.modelClass("BertForQuestionAnswering"));
        try (BertForMaskedLM mlm = build(BertForMaskedLM.CLASS)) {
            mlm.savePretrained(dir);
        }
        try (PreTrainedModel auto = AutoModelForMaskedLM.fromPretrained(dir.toString(),
                LoadOptions.defaults().withLocalFilesOnly(true))) {
            assertInstanceOf(BertForMaskedLM.class, auto);
        }
    }

    // ---------------------------------------------------------------- decoder cache

    @ParameterizedTest
    @ValueSource(strings = {"absolute", "relative_key", "relative_key_query"})
    void decoderWithPastKeyValuesEqualsFullForward(String positionEmbeddingType) {
        try (BertLMHeadModel model = build(BertLMHeadModel.CLASS, "is_decoder", true,
                "position_embedding_type", positionEmbeddingType)) {
            NDArray inputIds = ids(B, T);
            NDArray mask = m.ones(new Shape(B, T), DataType.INT64);
            mask.set(new ai.djl.ndarray.index.NDIndex("1, 0"), 0); // a left pad in row 1
            NDArray full = model.forward(inputIds, mask).logits();

            // Absolute positions allow several new tokens per step; Python's relative scores under a cache assume one.
            long prefix = 4;
            long step = positionEmbeddingType.equals("absolute") ? 3 : 1;
            CausalLMOutputWithCrossAttentions out = model.forward(inputIds.get(":, :" + prefix),
                    mask.get(":, :" + prefix));
            // Row 1's pad query sees no key: its uniform softmax spans whatever keys exist, so it alone differs.
            assertClose("prefix logits, row 0", out.logits().get("0"), full.get("0, :" + prefix), 1e-5, 1e-5);
            assertClose("prefix logits, row 1", out.logits().get("1, 1:"), full.get("1, 1:" + prefix), 1e-5, 1e-5);
            for (long start = prefix; start < T; start += step) {
                long end = Math.min(T, start + step);
                out = model.forward(ModelInputs.builder().inputIds(inputIds.get(":, " + start + ":" + end))
                        .attentionMask(mask.get(":, :" + end)).pastKeyValues(out.pastKeyValues()).build());
                assertEquals(end, out.pastKeyValues().get(0)[0].getShape().get(2));
                assertClose("logits of tokens " + start + ".." + end, out.logits(),
                        full.get(":, " + start + ":" + end), 1e-5, 1e-5);
            }
        }
    }

    @Test
    void crossAttentionDecoderWithPastKeyValuesEqualsFullForward() {
        try (BertLMHeadModel model = build(BertLMHeadModel.CLASS, "is_decoder", true, "add_cross_attention", true)) {
            NDArray inputIds = ids(B, T);
            NDArray encoderHidden = m.randomNormal(new Shape(B, 5, HIDDEN));
            NDArray encoderMask = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, new Shape(B, 5));
            ModelInputs.Builder common = ModelInputs.builder().encoderHiddenStates(encoderHidden)
                    .encoderAttentionMask(encoderMask).outputAttentions(true);
            CausalLMOutputWithCrossAttentions full = model.forward(common.inputIds(inputIds).build());
            assertEquals(LAYERS, full.crossAttentions().size());
            assertEquals(new Shape(B, HEADS, T, 5), full.crossAttentions().get(0).getShape());
            assertEquals(4, full.pastKeyValues().get(0).length, "self key/value + cross key/value per layer");
            CausalLMOutputWithCrossAttentions first = model.forward(common.inputIds(inputIds.get(":, :5")).build());
            CausalLMOutputWithCrossAttentions second = model.forward(common.inputIds(inputIds.get(":, 5:"))
                    .pastKeyValues(first.pastKeyValues()).build());
            assertClose("continuation logits", second.logits(), full.logits().get(":, 5:"), 1e-5, 1e-5);
        }
    }

    @Test
    void causalLmLossIsShifted() {
        try (BertLMHeadModel model = build(BertLMHeadModel.CLASS, "is_decoder", true)) {
            NDArray inputIds = ids(B, T);
            CausalLMOutputWithCrossAttentions out = model.forward(ModelInputs.builder().inputIds(inputIds)
                    .labels(inputIds).build());
            assertNull(out.pastKeyValues(), "labels turn the cache off");
            NDArray expected = Losses.crossEntropy(out.logits().get(":, :" + (T - 1) + ", :"),
                    inputIds.get(":, 1:"));
            assertClose("loss", out.loss(), expected, 0, 0);
        }
    }

    // ---------------------------------------------------------------- heads' losses and inputs

    @Test
    void sequenceClassificationPicksPythonsProblemType() {
        NDArray inputIds = ids(B, T);
        try (BertForSequenceClassification model = build(BertForSequenceClassification.CLASS, "num_labels", 3)) {
            NDArray multiHot = m.create(new float[] {1, 0, 1, 0, 1, 0}, new Shape(B, 3));
            SequenceClassifierOutput out = model.forward(ModelInputs.builder().inputIds(inputIds).labels(multiHot)
                    .build());
            assertClose("multi-label loss", out.loss(), Losses.bceWithLogits(out.logits(), multiHot), 0, 0);
            NDArray classes = m.create(new long[] {2, 0});
            out = model.forward(ModelInputs.builder().inputIds(inputIds).labels(classes).build());
            assertClose("single-label loss", out.loss(), Losses.crossEntropy(out.logits(), classes), 0, 0);
        }
        try (BertForSequenceClassification model = build(BertForSequenceClassification.CLASS, "num_labels", 3,
                "problem_type", "regression")) {
            NDArray targets = m.create(new float[] {0.5f, -1, 2, 3, 0, 1}, new Shape(B, 3));
            SequenceClassifierOutput out = model.forward(ModelInputs.builder().inputIds(inputIds).labels(targets)
                    .build());
            assertClose("regression loss", out.loss(), Losses.mse(out.logits(), targets), 0, 0);
        }
    }

    @Test
    void questionAnsweringIgnoresPositionsOutsideTheInput() {
        try (BertForQuestionAnswering model = build(BertForQuestionAnswering.CLASS)) {
            NDArray inputIds = ids(B, T);
            QuestionAnsweringModelOutput out = model.forward(ModelInputs.builder().inputIds(inputIds)
                    .set("start_positions", m.create(new long[] {2, 100}))
                    .set("end_positions", m.create(new long[] {3, -5})).build());
            // Row 1's start (100) clamps to T = ignore_index; its end (-5) clamps to 0 and counts.
            float[] start = out.startLogits().logSoftmax(-1).toFloatArray();
            float[] end = out.endLogits().logSoftmax(-1).toFloatArray();
            double startLoss = -start[2];
            double endLoss = -(end[3] + end[(int) T]) / 2;
            assertEquals((startLoss + endLoss) / 2, out.loss().getFloat(), 1e-5);
        }
    }

    @Test
    void headMaskSilencesAHead() {
        try (BertModel model = build(BertModel.CLASS)) {
            NDArray headMask = m.create(new float[] {0, 1, 1, 1});
            BaseModelOutputWithPoolingAndCrossAttentions out = model.forward(ModelInputs.builder()
                    .inputIds(ids(B, T)).headMask(headMask).outputAttentions(true).build());
            for (NDArray a : out.attentions()) {
                assertEquals(0f, a.get(":, 0").abs().sum().getFloat());
                assertTrue(a.get(":, 1").sum().getFloat() > 0);
            }
        }
    }

    @Test
    void inputsEmbedsEqualInputIds() {
        try (BertModel model = build(BertModel.CLASS)) {
            NDArray inputIds = ids(B, T);
            NDArray embeds = io.transformers4j.nn.Embedding.embedding(inputIds, model.inputEmbeddings());
            NDArray tokenTypes = m.zeros(new Shape(B, T), DataType.INT64);
            tokenTypes.set(new ai.djl.ndarray.index.NDIndex(":, 4:"), 1);
            assertClose("last_hidden_state",
                    model.forward(ModelInputs.builder().inputsEmbeds(embeds).tokenTypeIds(tokenTypes).build())
                            .lastHiddenState(),
                    model.forward(inputIds, null, tokenTypes).lastHiddenState(), 0, 0);
        }
    }

    @Test
    void badArgumentsFailClearly() {
        try (BertForMaskedLM model = build(BertForMaskedLM.CLASS)) {
            NDArray inputIds = ids(B, T);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(
                    ModelInputs.builder().inputIds(inputIds).set("start_positions", inputIds).build()));
            assertTrue(e.getMessage().contains("start_positions"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> model.forward(ModelInputs.builder().build()));
            assertTrue(e.getMessage().contains("input_ids or inputs_embeds"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(inputIds, m.ones(new Shape(B, T + 1))));
            assertTrue(e.getMessage().contains("attention_mask"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> build(BertModel.CLASS, "add_cross_attention", true));
        assertThrows(IllegalArgumentException.class, () -> build(BertModel.CLASS, "num_attention_heads", 5));
        try (BertLMHeadModel decoder = build(BertLMHeadModel.CLASS, "is_decoder", true)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> decoder.forward(
                    ModelInputs.builder().inputIds(ids(B, T)).encoderHiddenStates(m.zeros(new Shape(B, 3, HIDDEN)))
                            .build()));
            assertTrue(e.getMessage().contains("add_cross_attention"), e.getMessage());
        }
    }

    @Test
    void outputsCloseWhatTheyHold() {
        try (BertForMaskedLM model = build(BertForMaskedLM.CLASS)) {
            ModelOutput out = model.forward(all(ids(B, T), paddedMask()).build());
            List<NDArray> held = new ArrayList<>(out.toMap().values());
            out.close();
            assertTrue(held.stream().allMatch(NDArray::isReleased));
        }
    }
}
