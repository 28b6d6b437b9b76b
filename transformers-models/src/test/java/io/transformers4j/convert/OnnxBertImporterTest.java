package io.transformers4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.SafetensorsFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxBertImporterTest {

    @TempDir
    Path tmp;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    private static JsonNode config(Path dir) throws IOException {
        return new ObjectMapper().readTree(dir.resolve("config.json").toFile());
    }

    /** Every expected tensor is in model.safetensors with exactly the expected shape and values, and nothing else. */
    private static void assertWeights(Path dir, Map<String, TinyBertOnnx.Expected> expected) throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"));
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(f.keys()));
            for (Map.Entry<String, TinyBertOnnx.Expected> e : expected.entrySet()) {
                NDArray a = f.load(e.getKey(), m, null);
                assertArrayEquals(e.getValue().dims(), a.getShape().getShape(), e.getKey());
                assertArrayEquals(e.getValue().data(), a.toFloatArray(), e.getKey());
            }
        }
    }

    @Test
    void torchStyleGraph() throws IOException {
        TinyBertOnnx g = new TinyBertOnnx(TinyBertOnnx.Style.TORCH);
        Path onnx = g.b.write(tmp.resolve("model.onnx"));
        Path out = tmp.resolve("out");
        OnnxBertImporter.Result r = OnnxBertImporter.importModel(onnx, out);
        JsonNode c = config(out);
        assertEquals("bert", c.get("model_type").asText());
        assertEquals("BertModel", c.get("architectures").get(0).asText());
        assertEquals(TinyBertOnnx.HIDDEN, c.get("hidden_size").asInt());
        assertEquals(TinyBertOnnx.HEADS, c.get("num_attention_heads").asInt());
        assertEquals(TinyBertOnnx.LAYERS, c.get("num_hidden_layers").asInt());
        assertEquals(TinyBertOnnx.INTER, c.get("intermediate_size").asInt());
        assertEquals(TinyBertOnnx.VOCAB, c.get("vocab_size").asInt());
        assertEquals(TinyBertOnnx.MAX_POS, c.get("max_position_embeddings").asInt());
        assertEquals(TinyBertOnnx.TYPES, c.get("type_vocab_size").asInt());
        assertEquals(1e-12, c.get("layer_norm_eps").asDouble(), 0);
        assertEquals("gelu", c.get("hidden_act").asText());
        assertEquals("float32", c.get("torch_dtype").asText());
        assertEquals(g.expected.size(), r.tensors().size());
        assertWeights(out, g.expected);
    }

    @Test
    void opset17GraphWithPoolerAndClassifier() throws IOException {
        TinyBertOnnx g = new TinyBertOnnx(TinyBertOnnx.Style.OPSET17);
        Path out = tmp.resolve("out");
        OnnxBertImporter.importModel(g.b.write(tmp.resolve("model.onnx")), out);
        JsonNode c = config(out);
        assertEquals("BertForSequenceClassification", c.get("architectures").get(0).asText());
        assertEquals(TinyBertOnnx.HEADS, c.get("num_attention_heads").asInt());
        assertEquals(1e-7, c.get("layer_norm_eps").asDouble(), 0);
        assertEquals("gelu_new", c.get("hidden_act").asText());
        assertEquals(TinyBertOnnx.LABELS, c.get("id2label").size());
        assertWeights(out, g.expected);
    }

    @Test
    void headsFromScoreScaleWhenReshapeShapeIsComputed() throws IOException {
        TinyBertOnnx g = new TinyBertOnnx(TinyBertOnnx.Style.TORCH_COMPUTED_SHAPE);
        Path out = tmp.resolve("out");
        OnnxBertImporter.importModel(g.b.write(tmp.resolve("model.onnx")), out);
        assertEquals(TinyBertOnnx.HEADS, config(out).get("num_attention_heads").asInt());
    }

    /** The real export in the langchain4j jar (Xenova/all-MiniLM-L6-v2, torch 2.0.1, opset 11). */
    @Test
    void miniLmExport() throws IOException {
        Path onnx = tmp.resolve("minilm.onnx");
        try (InputStream in = getClass().getResourceAsStream("/all-minilm-l6-v2.onnx")) {
            Files.copy(in, onnx);
        }
        Path out = tmp.resolve("out");
        OnnxBertImporter.importModel(onnx, out);
        JsonNode c = config(out);
        assertEquals(384, c.get("hidden_size").asInt());
        assertEquals(12, c.get("num_attention_heads").asInt());
        assertEquals(6, c.get("num_hidden_layers").asInt());
        assertEquals(1536, c.get("intermediate_size").asInt());
        assertEquals(30522, c.get("vocab_size").asInt());
        assertEquals(512, c.get("max_position_embeddings").asInt());
        assertEquals(2, c.get("type_vocab_size").asInt());
        assertEquals(1e-12, c.get("layer_norm_eps").asDouble(), 0);
        assertEquals("gelu", c.get("hidden_act").asText());

        OnnxModel model = OnnxModel.read(onnx);
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"));
                NDManager m = NDManager.newBaseManager()) {
            Set<String> keys = new TreeSet<>(f.keys());
            assertEquals(5 + 6 * 16, keys.size(), keys.toString());
            assertTrue(!keys.contains("embeddings.position_ids"));
            // Layer 3's value weight: the initializer its MatMul reads, transposed.
            OnnxModel.Node mm = model.nodes().stream()
                    .filter(n -> n.name().equals("/encoder/layer.3/attention/self/value/MatMul")).findFirst().get();
            OnnxModel.Tensor w = model.initializers().get(mm.input(1));
            double[] src = w.toDoubles();
            float[] got = f.load("encoder.layer.3.attention.self.value.weight", m, null).toFloatArray();
            assertEquals(384 * 384, got.length);
            for (int o = 0; o < 384; o++) {
                for (int i = 0; i < 384; i++) {
                    assertEquals((float) src[i * 384 + o], got[o * 384 + i]);
                }
            }
            double[] ln = model.initializers().get("encoder.layer.5.output.LayerNorm.bias").toDoubles();
            float[] lnGot = f.load("encoder.layer.5.output.LayerNorm.bias", m, null).toFloatArray();
            for (int i = 0; i < ln.length; i++) {
                assertEquals((float) ln[i], lnGot[i]);
            }
        }
    }

    // ---------------------------------------------------------------- graphs that must be refused

    private IllegalArgumentException refused(OnnxBuilder b) throws IOException {
        Path f = b.write(tmp.resolve("bad.onnx"));
        Path out = tmp.resolve("out");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> OnnxBertImporter.importModel(f, out));
        assertTrue(!Files.exists(out.resolve("model.safetensors")), "nothing written for a refused graph");
        return e;
    }

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "message lacks '" + p + "': " + e.getMessage());
        }
    }

    @Test
    void refusesGraphWithoutBertEmbeddings() throws IOException {
        OnnxBuilder b = new OnnxBuilder().input("x");
        b.initializer("conv.weight", new long[] {2, 2}, new float[4]);
        b.node("MatMul", List.of("x", "conv.weight"));
        assertMessage(refused(b), "not a BERT-family export", "conv.weight");
    }

    @Test
    void refusesOrtFusedGraph() throws IOException {
        TinyBertOnnx g = new TinyBertOnnx(TinyBertOnnx.Style.TORCH);
        g.b.node("Attention", "com.microsoft", List.of("input_ids"), List.of("fused"));
        assertMessage(refused(g.b), "optimised for ONNX Runtime", "Attention");
    }

    @Test
    void refusesQuantizedGraph() throws IOException {
        TinyBertOnnx g = new TinyBertOnnx(TinyBertOnnx.Style.TORCH);
        g.b.node("MatMulInteger", "", List.of("a", "b"), List.of("c"));
        assertMessage(refused(g.b), "quantised", "MatMulInteger");
    }

    @Test
    void refusesLinearWithoutNamedBias() throws IOException {
        TinyBertOnnx g = new TinyBertOnnx(TinyBertOnnx.Style.TORCH);
        g.b.initializer("onnx::MatMul_999", new long[] {8, 4}, new float[32]);
        g.b.node("MatMul", List.of("last_hidden_state", "onnx::MatMul_999"));
        assertMessage(refused(g.b), "onnx::MatMul_999", "cannot be named");
    }

    @Test
    void refusesOtherEncoderPrefix() throws IOException {
        OnnxBuilder b = new OnnxBuilder();
        b.initializer("roberta.embeddings.word_embeddings.weight", new long[] {4, 2}, new float[8]);
        assertMessage(refused(b), "roberta.", "only the BERT layout");
    }

    @Test
    void refusesIncompleteEncoder() throws IOException {
        OnnxBuilder b = new OnnxBuilder();
        for (String k : List.of("word_embeddings", "position_embeddings", "token_type_embeddings")) {
            b.initializer("embeddings." + k + ".weight", new long[] {4, 2}, new float[8]);
        }
        b.initializer("embeddings.LayerNorm.weight", new long[] {2}, new float[2]);
        b.initializer("embeddings.LayerNorm.bias", new long[] {2}, new float[2]);
        b.initializer("encoder.layer.0.attention.self.query.bias", new long[] {2}, new float[2]);
        assertMessage(refused(b), "encoder.layer.0.intermediate.dense.weight");
    }

    @Test
    void corruptFileFailsWithIOException() throws IOException {
        byte[] good = new TinyBertOnnx(TinyBertOnnx.Style.TORCH).b.build();
        Path cut = tmp.resolve("cut.onnx");
        Files.write(cut, java.util.Arrays.copyOf(good, good.length / 2));
        IOException e = assertThrows(IOException.class, () -> OnnxBertImporter.importModel(cut, tmp.resolve("o")));
        assertMessage(e, "cut.onnx");
        Path text = Files.writeString(tmp.resolve("text.onnx"), "this is not protobuf at all, just some words\n");
        assertThrows(IOException.class, () -> OnnxBertImporter.importModel(text, tmp.resolve("o")));
        assertThrows(java.nio.file.NoSuchFileException.class,
                () -> OnnxBertImporter.importModel(tmp.resolve("absent.onnx"), tmp.resolve("o")));
    }
}
