package io.transformers4j.models.encoder_decoder;

import static io.transformers4j.models.testing.NDAsserts.assertClose;
import static io.transformers4j.models.testing.NDAsserts.fixture;
import static io.transformers4j.models.testing.NDAsserts.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.auto.AutoModelForSeq2SeqLM;
import io.transformers4j.config.AutoConfig;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.hub.HubOptions;
import io.transformers4j.hub.ModelFiles;
import io.transformers4j.models.bert.BertConfig;
import io.transformers4j.models.bert.BertForPreTraining;
import io.transformers4j.models.bert.BertLMHeadModel;
import io.transformers4j.models.bert.BertModel;
import io.transformers4j.models.llama.LlamaConfig;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.Seq2SeqLMOutput;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tiny random bert2bert models: construction, loading from parts, save/load, loss, generation seams, errors. */
class EncoderDecoderModelTest {

    static final int VOCAB = 99;
    static final int PAD = 0;
    static final int START = 2;

    @TempDir Path tmp;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    static BertConfig bert(Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", VOCAB, "hidden_size", 32, "num_hidden_layers", 2,
                "num_attention_heads", 4, "intermediate_size", 37, "max_position_embeddings", 64,
                "hidden_dropout_prob", 0.0, "attention_probs_dropout_prob", 0.0));
        c.putAll(extra);
        return BertConfig.of(c);
    }

    static EncoderDecoderConfig bert2bert() {
        return EncoderDecoderConfig.fromEncoderDecoderConfigs(bert(Map.of()), bert(Map.of()),
                Map.of("decoder_start_token_id", START, "pad_token_id", PAD));
    }

    static NDArray ids(NDManager m, long[][] rows) {
        return m.create(rows);
    }

    static ModelInputs.Builder batch(NDManager m) {
        return ModelInputs.builder()
                .inputIds(ids(m, new long[][] {{2, 17, 33, 45, 9, 3}, {2, 61, 8, 3, 0, 0}}))
                .attentionMask(ids(m, new long[][] {{1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 0, 0}}));
    }

    static NDArray decoderIds(NDManager m) {
        return ids(m, new long[][] {{2, 40, 41, 42, 43}, {2, 50, 51, 0, 0}});
    }

    // ---------------------------------------------------------------- config

    @Test
    void fromEncoderDecoderConfigsMakesTheDecoderCausalWithCrossAttention() throws IOException {
        BertConfig enc = bert(Map.of("my_encoder_key", 7));
        EncoderDecoderConfig c = EncoderDecoderConfig.fromEncoderDecoderConfigs(enc, bert(Map.of()),
                Map.of("decoder_start_token_id", START, "pad_token_id", PAD, "my_top_key", "kept"));
        assertEquals("encoder-decoder", c.modelType());
        assertTrue(c.isEncoderDecoder());
        assertInstanceOf(BertConfig.class, c.encoder());
        assertInstanceOf(BertConfig.class, c.decoder());
        assertFalse(c.encoder().isDecoder());
        assertFalse(c.encoder().addCrossAttention());
        assertTrue(c.decoder().isDecoder());
        assertTrue(c.decoder().addCrossAttention());
        assertEquals(START, c.decoderStartTokenId());
        assertEquals(PAD, c.padTokenId());
        assertFalse(enc.isDecoder(), "the caller's config is not changed");

        // config.json: nested sub-configs (no transformers_version inside), unknown keys kept at both levels.
        c.saveJson(tmp);
        JsonNode json = PretrainedConfig.MAPPER.readTree(tmp.resolve("config.json").toFile());
        assertEquals("encoder-decoder", json.get("model_type").asText());
        assertEquals("bert", json.get("decoder").get("model_type").asText());
        assertTrue(json.get("decoder").get("is_decoder").asBoolean());
        assertFalse(json.get("decoder").has("transformers_version"));
        assertEquals("kept", json.get("my_top_key").asText());
        assertEquals(7, json.get("encoder").get("my_encoder_key").asInt());
        PretrainedConfig back = AutoConfig.fromModelFiles(ModelFiles.open(tmp.toString(),
                HubOptions.defaults().withLocalFilesOnly(true)), PretrainedConfig.class);
        assertInstanceOf(EncoderDecoderConfig.class, back);
        ObjectNode expected = c.toJson();
        expected.put("transformers_version", PretrainedConfig.TRANSFORMERS_VERSION); // written by saveJson
        assertEquals(expected, back.toJson());
        assertEquals(7, ((EncoderDecoderConfig) back).encoder().extra().get("my_encoder_key"));
    }

    @Test
    void fixtureConfigBindsItsSubConfigs() throws IOException {
        EncoderDecoderConfig c = PretrainedConfig.fromJsonFile(fixture("encoder-decoder-bert2bert").resolve(
                "config.json"), EncoderDecoderConfig.class);
        BertConfig dec = (BertConfig) c.decoder();
        assertEquals(32, dec.hiddenSize());
        assertEquals(37, dec.intermediateSize());
        assertTrue(dec.addCrossAttention());
        assertEquals(2, c.decoderStartTokenId());
        // Python's generation attributes of the nested config are kept as unknown keys
        assertEquals(20, ((Number) dec.extra().get("max_length")).intValue());
    }

    @Test
    void configWithoutBothPartsFailsLikePython() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainedConfig.fromMap(Map.of("encoder", bert(Map.of()).toJson()), EncoderDecoderConfig.class));
        assertTrue(e.getMessage().contains("cannot be instantiated because both `encoder` and `decoder` "
                + "sub-configurations were not passed"), e.getMessage());
        Map<String, Object> noType = new HashMap<>();
        noType.put("encoder", Map.of("hidden_size", 32));
        noType.put("decoder", bert(Map.of()).toJson());
        e = assertThrows(IllegalArgumentException.class,
                () -> PretrainedConfig.fromMap(noType, EncoderDecoderConfig.class));
        assertTrue(e.getMessage().contains("no model_type"), e.getMessage());
    }

    // ---------------------------------------------------------------- construction

    @Test
    void fromConfigBuildsBertEncoderAndBertLMHeadDecoder() {
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(bert2bert(), 3);
                NDManager m = NDManager.newBaseManager()) {
            assertInstanceOf(BertModel.class, model.encoder());
            assertInstanceOf(BertLMHeadModel.class, model.decoder());
            Set<String> keys = model.stateDict().keySet();
            assertTrue(keys.contains("encoder.embeddings.word_embeddings.weight"));
            assertTrue(keys.contains("encoder.pooler.dense.weight"), "AutoModel keeps BERT's pooler");
            assertTrue(keys.contains("decoder.bert.encoder.layer.1.crossattention.self.query.weight"));
            assertTrue(keys.contains("decoder.cls.predictions.bias"));
            assertFalse(keys.contains("decoder.cls.predictions.decoder.weight"), "tied to the word embeddings");
            assertFalse(keys.contains("decoder.bert.pooler.dense.weight"), "BertLMHeadModel has no pooler");
            assertTrue(keys.stream().allMatch(k -> k.startsWith("encoder.") || k.startsWith("decoder.")), keys.toString());
            // The parts see their own keys, as Python's model.encoder.state_dict() does.
            assertTrue(model.encoder().stateDict().containsKey("embeddings.word_embeddings.weight"));
            assertTrue(model.decoder().stateDict().containsKey("bert.embeddings.word_embeddings.weight"));
            assertEquals(keys.size(), model.encoder().stateDict().size() + model.decoder().stateDict().size());
            assertTrue(model.missingKeys().isEmpty());

            Seq2SeqLMOutput out = model.forward(batch(m).decoderInputIds(decoderIds(m)).build());
            assertArrayEquals(new long[] {2, 5, VOCAB}, out.logits().getShape().getShape());
            assertArrayEquals(new long[] {2, 6, 32}, out.encoderLastHiddenState().getShape().getShape());
            assertNotNull(out.pastKeyValues(), "the decoder's use_cache defaults to true");
            assertEquals(4, out.pastKeyValues().get(0).length, "self and cross key/value per layer");
            assertNull(out.loss());
        }
    }

    @Test
    void differentHiddenSizesAddEncToDecProj() throws IOException {
        EncoderDecoderConfig c = EncoderDecoderConfig.fromEncoderDecoderConfigs(bert(Map.of()),
                bert(Map.of("hidden_size", 24, "num_attention_heads", 3)), Map.of("decoder_start_token_id", START,
                        "pad_token_id", PAD));
        Path dir = tmp.resolve("proj");
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(c, 5); NDManager m = NDManager.newBaseManager()) {
            assertArrayEquals(new long[] {24, 32}, model.stateDict().get("enc_to_dec_proj.weight").getShape().getShape());
            assertArrayEquals(new long[] {24}, model.stateDict().get("enc_to_dec_proj.bias").getShape().getShape());
            Seq2SeqLMOutput out = model.forward(batch(m).decoderInputIds(decoderIds(m)).build());
            assertArrayEquals(new long[] {2, 5, VOCAB}, out.logits().getShape().getShape());
            // the encoder output is returned unprojected, as in Python
            assertArrayEquals(new long[] {2, 6, 32}, out.encoderLastHiddenState().getShape().getShape());
            model.savePretrained(dir);
            try (EncoderDecoderModel back = EncoderDecoderModel.fromPretrained(dir.toString(), strict())) {
                assertEquals(0.0, maxAbsDiff(out.logits(),
                        back.forward(batch(m).decoderInputIds(decoderIds(m)).build()).logits()));
            }
        }
        Map<String, Object> crossSize = new HashMap<>(Map.of("cross_attention_hidden_size", 16));
        EncoderDecoderConfig bad = EncoderDecoderConfig.fromEncoderDecoderConfigs(bert(Map.of()), bert(crossSize));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EncoderDecoderModel.fromConfig(bad, 0));
        assertTrue(e.getMessage().contains("it has to be equal to the encoder's `hidden_size`. Got 16 for "
                + "`config.decoder.cross_attention_hidden_size` and 32"), e.getMessage());
    }

    // ---------------------------------------------------------------- from two pretrained checkpoints

    @Test
    void fromEncoderDecoderPretrainedReportsTheCrossAttentionAsNew() throws IOException {
        Path full = tmp.resolve("bert-pretraining"); // like bert-base-uncased: bert.* and cls.* keys
        Path bare = tmp.resolve("bert-bare");        // a BertModel checkpoint: no prefix, no head
        try (BertForPreTraining p = PreTrainedModel.fromConfig(BertForPreTraining.CLASS, bert(Map.of()), 11,
                Device.cpu());
                BertModel b = PreTrainedModel.fromConfig(BertModel.CLASS, bert(Map.of()), 12, Device.cpu())) {
            p.savePretrained(full);
            b.savePretrained(bare);
        }
        List<String> cross = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            for (String s : List.of("self.query", "self.key", "self.value", "output.dense", "output.LayerNorm")) {
                cross.add("decoder.bert.encoder.layer." + i + ".crossattention." + s + ".weight");
                cross.add("decoder.bert.encoder.layer." + i + ".crossattention." + s + ".bias");
            }
        }
        try (EncoderDecoderModel model = EncoderDecoderModel.fromEncoderDecoderPretrained(full.toString(),
                full.toString());
                SafetensorsFile source = SafetensorsFile.open(full.resolve("model.safetensors"));
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(new TreeSet<>(cross), new TreeSet<>(model.missingKeys()));
            assertEquals(new TreeSet<>(List.of("encoder.cls.predictions.bias",
                    "encoder.cls.predictions.transform.LayerNorm.bias",
                    "encoder.cls.predictions.transform.LayerNorm.weight",
                    "encoder.cls.predictions.transform.dense.bias", "encoder.cls.predictions.transform.dense.weight",
                    "encoder.cls.seq_relationship.bias", "encoder.cls.seq_relationship.weight",
                    "decoder.bert.pooler.dense.bias", "decoder.bert.pooler.dense.weight",
                    "decoder.cls.seq_relationship.bias", "decoder.cls.seq_relationship.weight")),
                    new TreeSet<>(model.unexpectedKeys()));
            assertTrue(model.config().decoder().isDecoder());
            assertTrue(model.config().decoder().addCrossAttention());
            // Each part took the checkpoint's tensors through its own base_model_prefix handling.
            Map<String, NDArray> sd = model.stateDict();
            for (String[] pair : new String[][] {
                    {"encoder.embeddings.word_embeddings.weight", "bert.embeddings.word_embeddings.weight"},
                    {"encoder.pooler.dense.weight", "bert.pooler.dense.weight"},
                    {"decoder.bert.encoder.layer.1.attention.self.query.weight",
                            "bert.encoder.layer.1.attention.self.query.weight"},
                    {"decoder.cls.predictions.transform.dense.weight", "cls.predictions.transform.dense.weight"},
                    {"decoder.cls.predictions.bias", "cls.predictions.bias"}}) {
                assertEquals(0.0, maxAbsDiff(sd.get(pair[0]), source.load(pair[1], m, null)), pair[0]);
            }
            // The parts report their own keys.
            assertEquals(cross.size(), model.decoder().missingKeys().size());
            assertTrue(model.decoder().missingKeys().get(0).startsWith("bert.encoder.layer.0.crossattention."));
            assertTrue(model.encoder().missingKeys().isEmpty());

            // The composite saves as one checkpoint and loads back complete.
            Path saved = tmp.resolve("bert2bert");
            model.savePretrained(saved);
            try (EncoderDecoderModel back = EncoderDecoderModel.fromPretrained(saved.toString(), strict())) {
                ModelInputs in = batch(m).decoderInputIds(decoderIds(m)).build();
                assertEquals(0.0, maxAbsDiff(model.forward(in).logits(), back.forward(in).logits()));
            }
        }

        // A bare BertModel checkpoint as decoder: the LM head is new as well.
        try (EncoderDecoderModel model = EncoderDecoderModel.fromEncoderDecoderPretrained(bare.toString(),
                bare.toString())) {
            Set<String> missing = new TreeSet<>(model.missingKeys());
            assertTrue(missing.containsAll(cross));
            assertTrue(missing.contains("decoder.cls.predictions.transform.dense.weight"), missing.toString());
            assertTrue(missing.contains("decoder.cls.predictions.bias"));
            // named as the checkpoint has them, under the part's prefix
            assertEquals(List.of("decoder.pooler.dense.weight", "decoder.pooler.dense.bias"), model.unexpectedKeys());
            assertEquals(List.of("pooler.dense.weight", "pooler.dense.bias"), model.decoder().unexpectedKeys());
        }

        // strict: the decoder's report becomes an error naming the new weights.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EncoderDecoderModel.fromEncoderDecoderPretrained(full.toString(), LoadOptions.defaults(),
                        full.toString(), LoadOptions.defaults().withStrict(true), Map.of()));
        assertTrue(e.getMessage().contains("Loading BertLMHeadModel from") && e.getMessage().contains(
                "bert.encoder.layer.0.crossattention.self.query.weight"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> EncoderDecoderModel.fromEncoderDecoderPretrained(full.toString(), LoadOptions.defaults(),
                        full.toString(), LoadOptions.defaults().withDtype("float16"), Map.of()));
        assertTrue(e.getMessage().contains("one dtype on one device"), e.getMessage());
    }

    @Test
    void fromEncoderDecoderPretrainedPassesOverridesAndCompositeKeys() throws IOException {
        Path dir = tmp.resolve("bert");
        try (BertModel b = PreTrainedModel.fromConfig(BertModel.CLASS, bert(Map.of()), 1, Device.cpu())) {
            b.savePretrained(dir);
        }
        try (EncoderDecoderModel model = EncoderDecoderModel.fromEncoderDecoderPretrained(dir.toString(),
                LoadOptions.defaults().withConfig("layer_norm_eps", 1e-6), dir.toString(),
                LoadOptions.defaults().withConfig("is_decoder", false),
                Map.of("decoder_start_token_id", 101, "pad_token_id", 0))) {
            assertEquals(1e-6, ((BertConfig) model.config().encoder()).layerNormEps(), 0);
            assertTrue(model.config().decoder().isDecoder(), "forced on, as Python does");
            assertEquals(101, model.decoderStartTokenId());
        }
    }

    // ---------------------------------------------------------------- save / load

    @Test
    void saveLoadRoundTripGivesIdenticalLogits() throws IOException {
        Path dir = tmp.resolve("saved");
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(bert2bert(), 21);
                NDManager m = NDManager.newBaseManager()) {
            ModelInputs in = batch(m).decoderInputIds(decoderIds(m)).decoderAttentionMask(
                    ids(m, new long[][] {{1, 1, 1, 1, 1}, {1, 1, 1, 0, 0}})).outputHiddenStates(true).build();
            Seq2SeqLMOutput before = model.forward(in);
            model.savePretrained(dir);

            try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
                assertEquals(model.stateDict().keySet(), f.keys());
                assertFalse(f.keys().contains("decoder.cls.predictions.decoder.weight"));
                assertFalse(f.keys().contains("decoder.cls.predictions.decoder.bias"));
            }
            JsonNode json = PretrainedConfig.MAPPER.readTree(dir.resolve("config.json").toFile());
            assertEquals("EncoderDecoderModel", json.get("architectures").get(0).asText());
            assertEquals("float32", json.get("torch_dtype").asText());
            assertTrue(json.get("decoder").get("add_cross_attention").asBoolean());

            try (EncoderDecoderModel back = EncoderDecoderModel.fromPretrained(dir.toString(), strict());
                    PreTrainedModel auto = AutoModelForSeq2SeqLM.fromPretrained(dir.toString(), strict())) {
                assertInstanceOf(EncoderDecoderModel.class, auto);
                Seq2SeqLMOutput after = back.forward(in);
                Map<String, NDArray> a = before.toMap();
                Map<String, NDArray> b = after.toMap();
                assertEquals(a.keySet(), b.keySet());
                for (String k : a.keySet()) {
                    assertEquals(0.0, maxAbsDiff(a.get(k), b.get(k)), k);
                }
                assertEquals(0.0, maxAbsDiff(before.logits(), auto.forward(in).toMap().get("logits")));
            }
        }
    }

    @Test
    void partsSaveAsStandaloneCheckpoints() throws IOException {
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(bert2bert(), 13);
                NDManager m = NDManager.newBaseManager()) {
            model.encoder().savePretrained(tmp.resolve("enc"));
            model.decoder().savePretrained(tmp.resolve("dec"));
            ModelInputs in = batch(m).decoderInputIds(decoderIds(m)).build();
            Seq2SeqLMOutput out = model.forward(in);
            try (BertModel enc = BertModel.fromPretrained(tmp.resolve("enc").toString(), strict());
                    BertLMHeadModel dec = BertLMHeadModel.fromPretrained(tmp.resolve("dec").toString(), strict())) {
                NDArray hidden = enc.forward(in.inputIds(), in.attentionMask()).lastHiddenState();
                assertEquals(0.0, maxAbsDiff(hidden, out.encoderLastHiddenState()));
                NDArray logits = dec.forward(ModelInputs.builder().inputIds(decoderIds(m)).encoderHiddenStates(hidden)
                        .encoderAttentionMask(in.attentionMask()).build()).logits();
                assertEquals(0.0, maxAbsDiff(logits, out.logits()));
            }
        }
    }

    @Test
    void fixtureCheckpointLoadsWithOnlyTheTiedKeysAbsent() throws IOException {
        try (EncoderDecoderModel model = EncoderDecoderModel.fromPretrained(
                fixture("encoder-decoder-bert2bert").toString(), strict())) {
            assertTrue(model.missingKeys().isEmpty());
            assertTrue(model.unexpectedKeys().isEmpty());
            assertEquals(2, model.decoderStartTokenId());
        }
    }

    // ---------------------------------------------------------------- labels and loss

    @Test
    void labelsGiveShiftedDecoderInputsAndCrossEntropyLoss() {
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(bert2bert(), 7);
                NDManager m = NDManager.newBaseManager()) {
            long[][] labelRows = {{40, 41, 42, 3, -100}, {50, 0, 3, -100, -100}};
            NDArray labels = ids(m, labelRows);
            NDArray shifted = EncoderDecoderModel.shiftTokensRight(labels, PAD, START);
            assertArrayEquals(new long[] {START, 40, 41, 42, 3, START, 50, 0, 3, PAD}, shifted.toLongArray());
            assertArrayEquals(shifted.toLongArray(), model.prepareDecoderInputIdsFromLabels(labels).toLongArray());

            Seq2SeqLMOutput out = model.forward(batch(m).labels(labels).build());
            // Same as giving the shifted labels and a mask of their non-pad tokens explicitly.
            NDArray mask = ids(m, new long[][] {{1, 1, 1, 1, 1}, {1, 1, 0, 1, 0}});
            Seq2SeqLMOutput explicit = model.forward(batch(m).decoderInputIds(shifted).decoderAttentionMask(mask)
                    .build());
            assertEquals(0.0, maxAbsDiff(out.logits(), explicit.logits()));

            // Manual cross-entropy over the labels that are not -100.
            float[] logits = out.logits().toFloatArray();
            double sum = 0;
            int n = 0;
            for (int b = 0; b < 2; b++) {
                for (int t = 0; t < 5; t++) {
                    long y = labelRows[b][t];
                    if (y == -100) {
                        continue;
                    }
                    int base = (b * 5 + t) * VOCAB;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int v = 0; v < VOCAB; v++) {
                        max = Math.max(max, logits[base + v]);
                    }
                    double z = 0;
                    for (int v = 0; v < VOCAB; v++) {
                        z += Math.exp(logits[base + v] - max);
                    }
                    sum += -(logits[base + (int) y] - max - Math.log(z));
                    n++;
                }
            }
            assertEquals(sum / n, out.loss().getFloat(), 1e-5);
            assertArrayEquals(new long[0], out.loss().getShape().getShape());
        }
    }

    // ---------------------------------------------------------------- encoder outputs and generation seams

    @Test
    void encoderOutputsAreReusedAndStepwiseDecodingMatchesOneForward() {
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(bert2bert(), 9);
                NDManager m = NDManager.newBaseManager()) {
            ModelInputs.Builder b = batch(m);
            NDArray inputIds = b.build().inputIds();
            NDArray mask = b.build().attentionMask();
            NDArray dec = decoderIds(m).get(":, :4");
            Seq2SeqLMOutput full = model.forward(batch(m).decoderInputIds(dec).build());

            BaseModelOutput enc = model.encode(inputIds, mask);
            assertEquals(0.0, maxAbsDiff(enc.lastHiddenState(), full.encoderLastHiddenState()));
            Seq2SeqLMOutput reused = model.forward(ModelInputs.builder().set("encoder_outputs", enc)
                    .attentionMask(mask).decoderInputIds(dec).build());
            assertEquals(0.0, maxAbsDiff(full.logits(), reused.logits()));
            assertTrue(reused.encoderLastHiddenState() == enc.lastHiddenState(), "returned as given, as Python does");

            List<NDArray[]> past = null;
            for (int t = 0; t < 4; t++) {
                Seq2SeqLMOutput step = model.decode(dec.get(":, " + t + ":" + (t + 1)), null, enc.lastHiddenState(),
                        mask, past);
                assertClose("step " + t, step.logits(), full.logits().get(":, " + t + ":" + (t + 1) + ", :"), 1e-5,
                        1e-5);
                assertNull(step.encoderLastHiddenState());
                past = step.pastKeyValues();
                assertEquals(t + 1, past.get(0)[0].getShape().get(2));
            }
            assertEquals(START, model.decoderStartTokenId());
        }
    }

    @Test
    void generateMatchesRecomputationWithAndWithoutCache() throws IOException {
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(bert2bert(), 17);
                NDManager m = NDManager.newBaseManager()) {
            ModelInputs in = batch(m).build();
            // greedy by recomputing every step with forward (no cache)
            NDArray cur = ids(m, new long[][] {{START}, {START}});
            for (int s = 0; s < 6; s++) {
                NDArray logits = model.forward(ModelInputs.builder().inputIds(in.inputIds())
                        .attentionMask(in.attentionMask()).decoderInputIds(cur).useCache(false).build()).logits();
                cur = cur.concat(logits.get(":, -1, :").argMax(-1).reshape(-1, 1), 1);
            }
            assertEquals(START, model.generationConfig().decoderStartTokenId().get(0), "from config.json");
            // save_pretrained writes generation_config.json; a changed one comes back after loading
            Path dir = tmp.resolve("gen");
            model.setGenerationConfig(GenerationConfig.builder().set("decoder_start_token_id", START)
                    .set("pad_token_id", PAD).maxNewTokens(3).build());
            model.savePretrained(dir);
            try (EncoderDecoderModel back = EncoderDecoderModel.fromPretrained(dir.toString(), strict())) {
                assertEquals(3, back.generationConfig().maxNewTokens());
                assertEquals(START, back.generationConfig().decoderStartTokenId().get(0));
            }
            model.setGenerationConfig(null); // back to the one derived from config.json
            for (boolean cache : new boolean[] {true, false}) {
                GenerationConfig greedy = GenerationConfig.builder().maxNewTokens(6).set("use_cache", cache).build();
                try (GenerateOutput out = model.generate(in.inputIds(), in.attentionMask(), greedy)) {
                    assertArrayEquals(cur.toLongArray(), out.sequences().toLongArray(), "use_cache=" + cache);
                }
            }
            GenerationConfig beam = GenerationConfig.builder().maxNewTokens(6).set("num_beams", 3).build();
            long[] cached;
            try (GenerateOutput out = model.generate(in.inputIds(), in.attentionMask(), beam)) {
                cached = out.sequences().toLongArray();
            }
            GenerationConfig beamNoCache = GenerationConfig.builder().maxNewTokens(6).set("num_beams", 3)
                    .set("use_cache", false).build();
            try (GenerateOutput out = model.generate(in.inputIds(), in.attentionMask(), beamNoCache)) {
                assertArrayEquals(cached, out.sequences().toLongArray(), "beam search reorders the cross cache too");
            }
        }
    }

    @Test
    void forwardLeavesOnlyItsOutputsInTheCallersManager() {
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(bert2bert(), 4);
                NDManager m = NDManager.newBaseManager()) {
            ModelInputs in = batch(m).labels(ids(m, new long[][] {{5, 6, 7}, {8, 9, -100}})).outputAttentions(true)
                    .outputHiddenStates(true).build();
            int weights = model.manager().getManagedArrays().size();
            int before = m.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                Seq2SeqLMOutput out = model.forward(in);
                long distinct = out.toMap().values().stream().distinct().count();
                assertEquals(before + distinct, m.getManagedArrays().size(), "temporaries left in the caller's manager");
                out.close();
                assertEquals(before, m.getManagedArrays().size());
            }
            BaseModelOutput enc = model.encode(in.inputIds(), in.attentionMask());
            assertEquals(before + 1, m.getManagedArrays().size(), "encode returns the last hidden state only");
            NDArray start = ids(m, new long[][] {{START}, {START}});
            Seq2SeqLMOutput step = model.decode(start, null, enc.lastHiddenState(), in.attentionMask(), null);
            step.close();
            enc.close();
            start.close();
            assertEquals(before, m.getManagedArrays().size());
            assertEquals(weights, model.manager().getManagedArrays().size(), "forward allocated in the weights' manager");
        }
    }

    // ---------------------------------------------------------------- errors

    @Test
    void missingDecoderStartOrPadTokenFailsWithPythonsMessage() {
        EncoderDecoderConfig noStart = EncoderDecoderConfig.fromEncoderDecoderConfigs(bert(Map.of()), bert(Map.of()));
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(noStart, 1);
                NDManager m = NDManager.newBaseManager()) {
            NDArray labels = ids(m, new long[][] {{5, 6}});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ModelInputs.builder().inputIds(labels).labels(labels).build()));
            assertEquals("Make sure to set the decoder_start_token_id attribute of the model's configuration.",
                    e.getMessage());
            assertEquals(0, m.getManagedArrays().size() - 1, "nothing left behind but the input");
        }
        EncoderDecoderConfig noPad = EncoderDecoderConfig.fromEncoderDecoderConfigs(bert(Map.of()), bert(Map.of()),
                Map.of("decoder_start_token_id", START));
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(noPad, 1);
                NDManager m = NDManager.newBaseManager()) {
            NDArray labels = ids(m, new long[][] {{5, 6}});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ModelInputs.builder().inputIds(labels).labels(labels).build()));
            assertEquals("Make sure to set the pad_token_id attribute of the model's configuration.", e.getMessage());
        }
    }

    @Test
    void decoderWithoutCrossAttentionRefusesEncoderStates() {
        // A config written by hand whose decoder is causal but has no cross-attention layers.
        Map<String, Object> values = new HashMap<>();
        values.put("encoder", bert(Map.of()).toJson());
        values.put("decoder", bert(Map.of("is_decoder", true)).toJson());
        EncoderDecoderConfig c = PretrainedConfig.fromMap(values, EncoderDecoderConfig.class);
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(c, 1); NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(batch(m).decoderInputIds(decoderIds(m)).build()));
            assertTrue(e.getMessage().contains("If `encoder_hidden_states` are passed")
                    && e.getMessage().contains("`config.add_cross_attention=True`"), e.getMessage());
        }
    }

    @Test
    void decoderWithoutEncoderHiddenStatesArgumentIsRefusedLikePython() {
        LlamaConfig llama = PretrainedConfig.fromMap(Map.of("vocab_size", VOCAB, "hidden_size", 32,
                "intermediate_size", 37, "num_hidden_layers", 1, "num_attention_heads", 4, "num_key_value_heads", 4),
                LlamaConfig.class);
        EncoderDecoderConfig c = EncoderDecoderConfig.fromEncoderDecoderConfigs(bert(Map.of()), llama);
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(c, 1); NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(batch(m).decoderInputIds(decoderIds(m)).build()));
            assertTrue(e.getMessage().contains("is not prepared for the encoder hidden states to be passed"),
                    e.getMessage());
        }
    }

    @Test
    void unknownArgumentsAreRoutedToThePartsAndRefusedThereByName() {
        try (EncoderDecoderModel model = EncoderDecoderModel.fromConfig(bert2bert(), 2);
                NDManager m = NDManager.newBaseManager()) {
            NDArray tt = ids(m, new long[][] {{0, 0, 0, 1, 1, 1}, {0, 0, 0, 0, 0, 0}});
            // token_type_ids reach the BERT encoder; decoder_token_type_ids the decoder.
            Seq2SeqLMOutput plain = model.forward(batch(m).decoderInputIds(decoderIds(m)).build());
            Seq2SeqLMOutput typed = model.forward(batch(m).tokenTypeIds(tt).decoderInputIds(decoderIds(m)).build());
            assertTrue(maxAbsDiff(plain.encoderLastHiddenState(), typed.encoderLastHiddenState()) > 1e-4);
            Seq2SeqLMOutput decTyped = model.forward(batch(m).decoderInputIds(decoderIds(m))
                    .set("decoder_token_type_ids", decoderIds(m).onesLike()).build());
            assertEquals(0.0, maxAbsDiff(plain.encoderLastHiddenState(), decTyped.encoderLastHiddenState()));
            assertTrue(maxAbsDiff(plain.logits(), decTyped.logits()) > 1e-4);

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(batch(m).decoderInputIds(decoderIds(m)).set("pixel_values", tt).build()));
            assertTrue(e.getMessage().contains("BertModel.forward() got an unexpected argument 'pixel_values'"),
                    e.getMessage());
        }
    }

    @Test
    void tieEncoderDecoderIsRefused() {
        EncoderDecoderConfig c = EncoderDecoderConfig.fromEncoderDecoderConfigs(bert(Map.of()), bert(Map.of()),
                Map.of("tie_encoder_decoder", true));
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                () -> EncoderDecoderModel.fromConfig(c, 0));
        assertTrue(e.getMessage().contains("tie_encoder_decoder"), e.getMessage());
    }

    static LoadOptions strict() {
        return LoadOptions.defaults().withStrict(true).withLocalFilesOnly(true);
    }
}
