package io.transformers4j.models.gpt2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.modeling.outputs.CausalLMOutputWithCrossAttentions;
import io.transformers4j.modeling.outputs.SequenceClassifierOutputWithPast;
import io.transformers4j.modeling.outputs.TokenClassifierOutput;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.SafetensorsFile;
import io.transformers4j.weights.SafetensorsWriter;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tiny random GPT-2s: internal consistency (cache, padding, pooling, loading) that parity fixtures do not pin. */
class GPT2ModelTest {

    static final int VOCAB = 50;
    static final int PAD = 0;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    /** A 2-layer model; initializer_range 0.5 so that attention patterns matter at float32 resolution. */
    static GPT2Config tinyConfig(Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", VOCAB, "n_positions", 32, "n_embd", 32,
                "n_layer", 2, "n_head", 4, "initializer_range", 0.5, "pad_token_id", PAD));
        c.putAll(extra);
        return PretrainedConfig.fromMap(c, GPT2Config.class);
    }

    static GPT2LMHeadModel tinyLm() {
        return PreTrainedModel.fromConfig(GPT2LMHeadModel.CLASS, tinyConfig(Map.of()), 7, Device.cpu());
    }

    @Test
    void configMapsGenericNamesLikePythonAttributeMap() {
        GPT2Config c = PretrainedConfig.fromMap(Map.of("hidden_size", 48, "num_attention_heads", 6,
                "num_hidden_layers", 3, "max_position_embeddings", 128), GPT2Config.class);
        assertEquals(48, c.nEmbd());
        assertEquals(48, c.hiddenSize());
        assertEquals(6, c.nHead());
        assertEquals(3, c.numHiddenLayers());
        assertEquals(128, c.nPositions());
        assertEquals("gelu_new", c.activationFunction());
        assertEquals(50256, c.eosTokenId());
        // Saved with GPT-2's own keys, as Python's to_dict writes them.
        assertEquals(48, c.toJson().get("n_embd").asInt());
        assertNull(c.toJson().get("hidden_size"));
        assertThrows(IllegalArgumentException.class,
                () -> PretrainedConfig.fromMap(Map.of("n_embd", 30, "n_head", 4), GPT2Config.class));
    }

    @Test
    void cachedDecodingMatchesOneForward() {
        try (GPT2LMHeadModel model = tinyLm(); NDManager m = NDManager.newBaseManager()) {
            long[] ids = {5, 17, 3, 42, 8, 8, 21, 9, 33, 1};
            NDArray all = m.create(ids, new Shape(1, ids.length));
            NDArray full = model.forward(ModelInputs.builder().inputIds(all).useCache(false).build()).logits();

            // Prefix of 6, then the remaining 4 one token at a time, each step fed the previous step's cache.
            CausalLMOutputWithCrossAttentions step = model.forward(
                    ModelInputs.builder().inputIds(all.get(new NDIndex(":, :6"))).useCache(true).build());
            NDList pieces = new NDList(step.logits());
            for (int t = 6; t < ids.length; t++) {
                step = model.forward(ModelInputs.builder().inputIds(all.get(new NDIndex(":, {}:{}", t, t + 1)))
                        .pastKeyValues(step.pastKeyValues()).build());
                pieces.add(step.logits());
            }
            assertClose("cached logits", NDArrays.concat(pieces, 1), full, 1e-5, 1e-5);
            List<NDArray[]> cache = step.pastKeyValues();
            assertEquals(2, cache.size());
            assertArrayEquals(new long[] {1, 4, ids.length, 8}, cache.get(0)[0].getShape().getShape());

            // The cache carries information: the last token alone, without it, predicts something else.
            NDArray alone = model.forward(all.get(new NDIndex(":, -1:"))).logits();
            assertTrue(maxAbsDiff(alone, full.get(new NDIndex(":, -1:"))) > 1e-2, "test is not sensitive to the cache");
        }
    }

    @Test
    void leftPaddedRowsMatchUnpaddedWhenPositionIdsFollowTheMask() {
        try (GPT2LMHeadModel model = tinyLm(); NDManager m = NDManager.newBaseManager()) {
            long[] shortRow = {11, 4, 29, 7};
            long[] longRow = {3, 14, 15, 9, 26, 5};
            NDArray ids = m.create(new long[] {PAD, PAD, 11, 4, 29, 7, 3, 14, 15, 9, 26, 5}, new Shape(2, 6));
            NDArray mask = m.create(new long[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, new Shape(2, 6));
            // generate()'s recipe: position_ids = cumsum(mask) - 1, pads set to 1.
            NDArray positions = mask.cumSum(1).sub(1);
            positions.set(mask.eq(0), 1);
            NDArray batched = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                    .positionIds(positions).build()).logits();

            NDArray alone = model.forward(m.create(shortRow, new Shape(1, 4))).logits();
            assertClose("left-padded row", batched.get(new NDIndex("0:1, 2:")), alone, 1e-5, 1e-5);
            NDArray other = model.forward(m.create(longRow, new Shape(1, 6))).logits();
            assertClose("unpadded row", batched.get(new NDIndex("1:2")), other, 1e-5, 1e-5);

            // Without position_ids the padded row's tokens sit at positions 2..5: different logits, as in Python.
            NDArray shifted = model.forward(ids, mask).logits();
            assertTrue(maxAbsDiff(shifted.get(new NDIndex("0:1, 2:")), alone) > 1e-3);
        }
    }

    @Test
    void paddedQueryRowsAttendUniformlyLikeTheReference() {
        try (GPT2Model model = PreTrainedModel.fromConfig(GPT2Model.CLASS, tinyConfig(Map.of()), 3, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {PAD, PAD, PAD, 11, 4}, new Shape(1, 5));
            NDArray mask = m.create(new long[] {0, 0, 0, 1, 1}, new Shape(1, 5));
            BaseModelOutputWithPastAndCrossAttentions out = model.forward(ModelInputs.builder().inputIds(ids)
                    .attentionMask(mask).outputAttentions(true).build());
            // Query 0 (a pad): key 0 is padding (score + min = min), keys 1-2 are causally hidden AND padding
            // (min + min = -inf), keys 3-4 are causally hidden real tokens (min). Softmax: uniform over {0, 3, 4}.
            float[] row0 = out.attentions().get(0).get(new NDIndex("0, 0, 0")).toFloatArray();
            assertArrayEquals(new float[] {1f / 3, 0f, 0f, 1f / 3, 1f / 3}, row0, 1e-6f);
            // Query 2 (a pad): keys 0-2 padding (min), keys 3-4 causally hidden (min): uniform over all five.
            float[] row2 = out.attentions().get(0).get(new NDIndex("0, 3, 2")).toFloatArray();
            assertArrayEquals(new float[] {0.2f, 0.2f, 0.2f, 0.2f, 0.2f}, row2, 1e-6f);
            // A real query never attends to the padding.
            float[] real = out.attentions().get(1).get(new NDIndex("0, 1, 4")).toFloatArray();
            assertEquals(0f, real[0] + real[1] + real[2], 0f);
        }
    }

    @Test
    void sequenceClassificationPoolsTheLastNonPadToken() {
        GPT2Config config = tinyConfig(Map.of("num_labels", 3));
        try (GPT2ForSequenceClassification model = PreTrainedModel.fromConfig(GPT2ForSequenceClassification.CLASS,
                config, 5, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            // Row 0 right-padded (last real token at 2), row 1 without pads (last position).
            NDArray ids = m.create(new long[] {7, 8, 9, PAD, PAD, 1, 2, 3, 4, 5}, new Shape(2, 5));
            NDArray mask = m.create(new long[] {1, 1, 1, 0, 0, 1, 1, 1, 1, 1}, new Shape(2, 5));
            SequenceClassifierOutputWithPast out = model.forward(ModelInputs.builder().inputIds(ids)
                    .attentionMask(mask).labels(m.create(new long[] {2, 0})).build());
            assertArrayEquals(new long[] {2, 3}, out.logits().getShape().getShape());

            NDArray row0 = model.forward(m.create(new long[] {7, 8, 9}, new Shape(1, 3))).logits();
            assertClose("row 0 pooled at token 2", out.logits().get(new NDIndex("0:1")), row0, 1e-5, 1e-5);
            NDArray row1 = model.forward(m.create(new long[] {1, 2, 3, 4, 5}, new Shape(1, 5))).logits();
            assertClose("row 1 pooled at the last token", out.logits().get(new NDIndex("1:2")), row1, 1e-5, 1e-5);

            // Cross-entropy of the pooled logits, computed here from their log-softmax.
            float[] logp = out.logits().logSoftmax(1).toFloatArray();
            float expected = -(logp[2] + logp[3]) / 2;
            assertEquals(expected, out.loss().getFloat(), 1e-5f);
            assertNotNull(out.pastKeyValues());
        }
    }

    @Test
    void sequenceClassificationWithoutPadTokenRefusesBatches() {
        GPT2Config config = PretrainedConfig.fromMap(Map.of("vocab_size", VOCAB, "n_positions", 16, "n_embd", 16,
                "n_layer", 1, "n_head", 2), GPT2Config.class);
        try (GPT2ForSequenceClassification model = PreTrainedModel.fromConfig(GPT2ForSequenceClassification.CLASS,
                config, 1, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(m.create(new long[] {1, 2, 3, 4}, new Shape(2, 2))));
            assertTrue(e.getMessage().contains("pad_token_id"), e.getMessage());
        }
    }

    @Test
    void tokenClassificationScoresEveryToken() {
        GPT2Config config = tinyConfig(Map.of("num_labels", 4));
        try (GPT2ForTokenClassification model = PreTrainedModel.fromConfig(GPT2ForTokenClassification.CLASS,
                config, 9, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray labels = m.create(new long[] {0, 3, -100, 1, 1, 2}, new Shape(2, 3));
            TokenClassifierOutput out = model.forward(ModelInputs.builder().inputIds(ids).labels(labels).build());
            assertArrayEquals(new long[] {2, 3, 4}, out.logits().getShape().getShape());
            float[] logp = out.logits().logSoftmax(2).toFloatArray();
            float expected = -(logp[0] + logp[4 + 3] + logp[12 + 1] + logp[16 + 1] + logp[20 + 2]) / 5;
            assertEquals(expected, out.loss().getFloat(), 1e-5f);
        }
    }

    @Test
    void lmLossIsTheShiftedCrossEntropy() {
        try (GPT2LMHeadModel model = tinyLm(); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {4, 9, 16, 25}, new Shape(1, 4));
            NDArray labels = m.create(new long[] {4, -100, 16, 25}, new Shape(1, 4));
            CausalLMOutputWithCrossAttentions out = model.forward(
                    ModelInputs.builder().inputIds(ids).labels(labels).build());
            float[] logp = out.logits().logSoftmax(2).toFloatArray();
            // Position t predicts labels[t + 1]; labels[1] = -100 is skipped.
            float expected = -(logp[VOCAB + 16] + logp[2 * VOCAB + 25]) / 2;
            assertEquals(expected, out.loss().getFloat(), 1e-5f);
        }
    }

    @Test
    void crossAttentionIgnoresMaskedEncoderPositions() {
        GPT2Config config = tinyConfig(Map.of("add_cross_attention", true));
        try (GPT2LMHeadModel model = PreTrainedModel.fromConfig(GPT2LMHeadModel.CLASS, config, 11, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {3, 1, 4}, new Shape(1, 3));
            NDArray enc = m.randomNormal(new Shape(1, 5, 32));
            NDArray encMask = m.create(new long[] {1, 1, 1, 1, 0}, new Shape(1, 5));
            NDArray changedMasked = enc.duplicate();
            changedMasked.set(new NDIndex("0, 4"), 7f);
            NDArray changedKept = enc.duplicate();
            changedKept.set(new NDIndex("0, 1"), 7f);

            CausalLMOutputWithCrossAttentions a = model.forward(ModelInputs.builder().inputIds(ids)
                    .encoderHiddenStates(enc).encoderAttentionMask(encMask).outputAttentions(true).build());
            CausalLMOutputWithCrossAttentions b = model.forward(ModelInputs.builder().inputIds(ids)
                    .encoderHiddenStates(changedMasked).encoderAttentionMask(encMask).build());
            CausalLMOutputWithCrossAttentions c = model.forward(ModelInputs.builder().inputIds(ids)
                    .encoderHiddenStates(changedKept).encoderAttentionMask(encMask).build());
            assertClose("masked encoder position changed", b.logits(), a.logits(), 1e-6, 1e-6);
            assertTrue(maxAbsDiff(c.logits(), a.logits()) > 1e-3, "cross-attention has no effect");
            assertEquals(2, a.crossAttentions().size());
            assertArrayEquals(new long[] {1, 4, 3, 5}, a.crossAttentions().get(0).getShape().getShape());
            assertTrue(a.toMap().containsKey("cross_attentions.1"));
        }
    }

    @Test
    void savedCheckpointReloadsIntoEveryClassWithTiedHead(@TempDir Path dir) throws IOException {
        try (GPT2LMHeadModel model = tinyLm(); NDManager m = NDManager.newBaseManager()) {
            model.savePretrained(dir);
            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
                assertTrue(f.keys().contains("transformer.wte.weight"));
                assertTrue(!f.keys().contains("lm_head.weight"), "tied lm_head.weight must not be saved");
            }
            NDArray ids = m.create(new long[] {1, 2, 3, 4}, new Shape(1, 4));
            NDArray expected = model.forward(ids).logits();
            try (GPT2LMHeadModel back = GPT2LMHeadModel.fromPretrained(dir.toString(),
                    LoadOptions.defaults().withLocalFilesOnly(true).withStrict(true))) {
                assertClose("reloaded logits", back.forward(ids).logits(), expected, 0, 0);
            }
            // The bare model strips base_model_prefix "transformer" from the head checkpoint.
            try (GPT2Model bare = GPT2Model.fromPretrained(dir.toString(),
                    LoadOptions.defaults().withLocalFilesOnly(true).withStrict(true))) {
                NDArray hidden = bare.forward(ids).lastHiddenState();
                assertClose("bare model", hidden, model.transformer().forward(ids).lastHiddenState(), 0, 0);
            }
            // Auto classes pick the family's rows from config.json's model_type.
            assertEquals(GPT2LMHeadModel.CLASS, ModelRegistry.forTask(model.config(), AutoTask.CAUSAL_LM));
            assertEquals(GPT2Model.CLASS, ModelRegistry.forTask(model.config(), AutoTask.MODEL));
        }
    }

    @Test
    void savedFilesAreReadableLikePlainFiles(@TempDir Path dir) throws IOException {
        assumeTrue(Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null, "not a POSIX file system");
        Path probe = Files.createFile(dir.resolve("probe"));
        Set<PosixFilePermission> plain = Files.getPosixFilePermissions(probe); // 0666 & ~umask, as Python's open()
        Files.delete(probe);
        Path sharded = dir.resolve("sharded");
        Path single = dir.resolve("single");
        try (GPT2LMHeadModel model = tinyLm()) {
            model.savePretrained(sharded, 64 * 1024); // ~110 kB of float32 weights
            model.savePretrained(single);
            model.generationConfig().savePretrained(single);
        }
        List<Path> files = new ArrayList<>();
        for (Path folder : List.of(sharded, single)) {
            try (Stream<Path> s = Files.list(folder)) {
                s.forEach(files::add);
            }
        }
        long shards = files.stream()
                .filter(f -> f.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
        assertTrue(shards >= 2, files.toString());
        for (Path f : List.of(sharded.resolve("model.safetensors.index.json"), sharded.resolve("config.json"),
                single.resolve("model.safetensors"), single.resolve("config.json"),
                single.resolve("generation_config.json"))) {
            assertTrue(files.contains(f), f + " missing from " + files);
        }
        assertEquals(shards + 5, files.size(), "no temporary files left: " + files);
        for (Path f : files) {
            assertEquals(PosixFilePermissions.toString(plain),
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
        }
        assumeTrue(plain.contains(PosixFilePermission.OTHERS_READ), "the umask hides new files from others");
        for (Path f : files) {
            assertTrue(Files.getPosixFilePermissions(f).containsAll(
                    Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ)), f.toString());
        }
    }

    @Test
    void oldCheckpointBuffersAreNotUnexpected(@TempDir Path dir) throws IOException {
        try (GPT2LMHeadModel model = tinyLm(); NDManager m = NDManager.newBaseManager()) {
            model.config().saveJson(dir);
            Map<String, NDArray> sd = new LinkedHashMap<>(model.stateDict());
            // What checkpoints saved before transformers 4.x hold: the causal tril and the -1e4 masked_bias.
            sd.put("transformer.h.0.attn.bias", m.ones(new Shape(1, 1, 32, 32)));
            sd.put("transformer.h.0.attn.masked_bias", m.create(-1e4f));
            sd.put("transformer.h.1.attn.bias", m.ones(new Shape(1, 1, 32, 32)));
            sd.put("transformer.extra.weight", m.ones(new Shape(2)));
            SafetensorsWriter.write(dir.resolve("model.safetensors"), sd, Map.of("format", "pt"));
            try (GPT2LMHeadModel back = GPT2LMHeadModel.fromPretrained(dir.toString(),
                    LoadOptions.defaults().withLocalFilesOnly(true))) {
                assertEquals(List.of("transformer.extra.weight"), back.unexpectedKeys());
                assertEquals(List.of(), back.missingKeys());
            }
        }
    }

    @Test
    void checkpointOfAnotherShapeFailsNamingTheKey(@TempDir Path dir) throws IOException {
        try (GPT2LMHeadModel model = tinyLm()) {
            model.savePretrained(dir);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GPT2LMHeadModel.fromPretrained(dir.toString(),
                        LoadOptions.defaults().withLocalFilesOnly(true).withConfig("vocab_size", 60)));
        assertTrue(e.getMessage().contains("transformer.wte.weight"), e.getMessage());
        assertTrue(e.getMessage().contains("[50, 32]") && e.getMessage().contains("[60, 32]"), e.getMessage());
    }

    @Test
    void shardedFixtureLoadsThroughItsIndex() throws IOException {
        // tests/fixtures/models/gpt2-lm-sharded, read here shard by shard until Checkpoints opens shard indexes.
        Path dir = Path.of("..", "tests", "fixtures", "models", "gpt2-lm-sharded");
        GPT2Config config = PretrainedConfig.fromJsonFile(dir.resolve("config.json"), GPT2Config.class);
        try (ShardedSource source = ShardedSource.open(dir.resolve("model.safetensors.index.json"));
                NDManager m = NDManager.newBaseManager();
                SafetensorsFile inputs = SafetensorsFile.open(dir.resolve("inputs.safetensors"));
                SafetensorsFile outputs = SafetensorsFile.open(dir.resolve("outputs.safetensors"))) {
            NDManager weights = NDManager.newBaseManager();
            Weights w = Weights.fromSource(source, weights, null, Device.cpu(), "transformer", true, 0.02f);
            try (GPT2LMHeadModel model = GPT2LMHeadModel.CLASS.construct(config, w)) {
                assertEquals(List.of(), w.missingKeys());
                assertEquals(List.of(), w.unexpectedKeys());
                NDArray logits = model.forward(ModelInputs.builder()
                        .inputIds(inputs.load("input_ids", m, null).duplicate())
                        .attentionMask(inputs.load("attention_mask", m, null).duplicate())
                        .useCache(false).build()).logits();
                assertClose("gpt2-lm-sharded logits", logits, outputs.load("logits", m, null).duplicate(), 1e-4, 1e-4);
            }
        }
    }

    @Test
    void reorderedUpcastAttentionEqualsEagerInFloat32() {
        // Same seed, same parameter order: identical weights; the two attention paths differ only in rounding.
        Map<String, Object> scaled = Map.of("scale_attn_by_inverse_layer_idx", true);
        Map<String, Object> reordered = Map.of("scale_attn_by_inverse_layer_idx", true, "reorder_and_upcast_attn", true);
        try (GPT2LMHeadModel eager = PreTrainedModel.fromConfig(GPT2LMHeadModel.CLASS, tinyConfig(scaled), 2,
                Device.cpu());
                GPT2LMHeadModel upcast = PreTrainedModel.fromConfig(GPT2LMHeadModel.CLASS, tinyConfig(reordered), 2,
                        Device.cpu());
                GPT2LMHeadModel plain = PreTrainedModel.fromConfig(GPT2LMHeadModel.CLASS, tinyConfig(Map.of()), 2,
                        Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {PAD, 3, 9, 27, 31, 13}, new Shape(1, 6));
            NDArray mask = m.create(new long[] {0, 1, 1, 1, 1, 1}, new Shape(1, 6));
            NDArray a = eager.forward(ids, mask).logits();
            assertClose("reorder_and_upcast_attn", upcast.forward(ids, mask).logits(), a, 1e-5, 1e-5);
            assertTrue(maxAbsDiff(plain.forward(ids, mask).logits(), a) > 1e-3,
                    "scale_attn_by_inverse_layer_idx had no effect");
        }
    }

    @Test
    void forwardLeavesOnlyItsOutputsInTheCallersManager() {
        try (GPT2LMHeadModel model = tinyLm(); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            NDArray mask = m.create(new long[] {0, 1, 1, 1, 1, 1}, new Shape(2, 3));
            int weights = model.manager().getManagedArrays().size();
            int before = m.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                CausalLMOutputWithCrossAttentions out = model.forward(ModelInputs.builder().inputIds(ids)
                        .attentionMask(mask).labels(ids).outputHiddenStates(true).outputAttentions(true)
                        .useCache(true).build());
                long distinct = out.toMap().values().stream().distinct().count();
                assertEquals(before + distinct, m.getManagedArrays().size(), "temporaries left in the caller's manager");
                out.close();
                assertEquals(before, m.getManagedArrays().size());
            }
            assertEquals(weights, model.manager().getManagedArrays().size(), "forward allocated in the weights' manager");
        }
    }

    // ---------------------------------------------------------------- helpers

    static double maxAbsDiff(NDArray a, NDArray b) {
        return a.toType(DataType.FLOAT64, false).sub(b.toType(DataType.FLOAT64, false)).abs().max().getDouble();
    }

    /** abs(a - e) <= atol + rtol * abs(e) element-wise; the message names the worst element. */
    static void assertClose(String what, NDArray actual, NDArray expected, double atol, double rtol) {
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what + ": shape");
        double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] e = expected.toType(DataType.FLOAT64, false).toDoubleArray();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < e.length; i++) {
            double excess = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
            if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Double.isNaN(excess))) {
                worst = i;
                worstExcess = excess;
            }
        }
        if (worst >= 0) {
            fail(String.format("%s: element %d is %s, expected %s (atol %g, rtol %g)", what, worst, a[worst], e[worst],
                    atol, rtol));
        }
    }
}
