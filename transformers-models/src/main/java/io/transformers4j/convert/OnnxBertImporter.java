package io.transformers4j.convert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.convert.OnnxModel.Node;
import io.transformers4j.convert.OnnxModel.Tensor;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.AtomicFiles;
import io.transformers4j.weights.Checkpoints;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Converts an ONNX export of a BERT-family encoder (torch.onnx / optimum, un-optimised) into a Hugging Face checkpoint
 * folder: {@code config.json} (model_type "bert") and {@code model.safetensors}, loadable by
 * {@code BertModel.fromPretrained} here and in Python.
 *
 * <p>torch.onnx keeps the names of tensors a graph uses as they are (embeddings, LayerNorm weights, every bias), but
 * stores each {@code nn.Linear} weight transposed, as the right operand of a MatMul, under a generated name
 * ({@code onnx::MatMul_787}). The importer walks the graph: a MatMul (or Gemm) by an initializer, followed by an Add of
 * an initializer named {@code <module>.bias}, is the Linear {@code <module>}; its weight is transposed back to
 * Python's (out_features, in_features) and stored as {@code <module>.weight}.
 *
 * <p>The config is read off the graph: sizes from the tensor shapes, the head count from the attention Reshape
 * constants (or the sqrt(head_dim) score scale), layer_norm_eps from the LayerNorm epsilon constant, hidden_act from
 * the ops between the intermediate and output dense layers. Training-only values (dropout probabilities,
 * initializer_range) are not in an inference graph and take BertConfig's defaults.
 *
 * <p>Graphs that are not BERT-shaped, ONNX Runtime-fused ({@code com.microsoft} Attention, SkipLayerNormalization...)
 * or quantised are rejected with a message saying what was found.
 *
 * <pre>{@code
 * OnnxBertImporter.importModel(Path.of("model.onnx"), Path.of("my-bert"));
 * BertModel m = BertModel.fromPretrained("my-bert");
 * }</pre>
 */
public final class OnnxBertImporter {

    /** What was written: the config as a JSON map and the tensors by checkpoint key with their shapes. */
    public record Result(Path folder, Map<String, Object> config, Map<String, long[]> tensors) {}

    /** The per-layer Linear and LayerNorm modules BertLayer has; each has a weight and a bias. */
    private static final List<String> LAYER_MODULES = List.of("attention.self.query", "attention.self.key",
            "attention.self.value", "attention.output.dense", "attention.output.LayerNorm", "intermediate.dense",
            "output.dense", "output.LayerNorm");

    private static final Set<String> FUSED_OPS = Set.of("Attention", "MultiHeadAttention", "SkipLayerNormalization",
            "EmbedLayerNormalization", "FastGelu", "BiasGelu", "SkipSimplifiedLayerNormalization");
    private static final Set<String> QUANTIZED_OPS = Set.of("MatMulInteger", "QLinearMatMul", "DequantizeLinear",
            "DynamicQuantizeLinear", "QuantizeLinear", "MatMulNBits", "QAttention", "DynamicQuantizeMatMul",
            "MatMulIntegerToFloat", "QGemm");

    /** A tensor to write: dtype is an ONNX data type (FLOAT or FLOAT16), data little-endian row-major. */
    private record Out(int dataType, long[] dims, ByteBuffer data) {}

    private final OnnxModel model;
    private final String prefix;
    private final Map<String, Out> tensors = new LinkedHashMap<>();
    /** The value each Linear module's output (after its bias) is called in the graph, by module name. */
    private final Map<String, String> linearOutputs = new LinkedHashMap<>();
    /** Initializers already written as a Linear weight under their module's name. */
    private final Set<String> consumedWeights = new HashSet<>();

    private OnnxBertImporter(OnnxModel model) {
        this.model = model;
        this.prefix = findPrefix(model);
    }

    /**
     * Converts {@code onnxFile} and writes {@code config.json} and {@code model.safetensors} into {@code outputDir}
     * (created if needed). Tokenizer files are not part of an ONNX graph: copy them alongside.
     */
    public static Result importModel(Path onnxFile, Path outputDir) throws IOException {
        OnnxModel model = OnnxModel.read(onnxFile);
        OnnxBertImporter imp = new OnnxBertImporter(model);
        imp.rejectUnsupportedOps();
        imp.nameLinearWeights();
        imp.keepNamedInitializers();
        Map<String, Object> config = imp.inferConfig();
        Files.createDirectories(outputDir);
        imp.writeSafetensors(outputDir);
        AtomicFiles.writeString(outputDir.resolve("config.json"), PretrainedConfig.MAPPER.writeValueAsString(config));
        Map<String, long[]> shapes = new LinkedHashMap<>();
        imp.tensors.forEach((k, v) -> shapes.put(k, v.dims().clone()));
        return new Result(outputDir, config, shapes);
    }

    /** {@code java -cp ... io.transformers4j.convert.OnnxBertImporter model.onnx output-folder} */
    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: OnnxBertImporter <model.onnx> <output folder>");
            System.exit(2);
        }
        Result r = importModel(Path.of(args[0]), Path.of(args[1]));
        System.out.println("Wrote " + r.tensors().size() + " tensors and config.json to " + r.folder());
    }

    // ---------------------------------------------------------------- graph checks

    private static String findPrefix(OnnxModel model) {
        String suffix = "embeddings.word_embeddings.weight";
        List<String> found = new ArrayList<>();
        for (String name : model.initializers().keySet()) {
            if (name.endsWith(suffix)) {
                found.add(name.substring(0, name.length() - suffix.length()));
            }
        }
        if (found.isEmpty()) {
            throw new IllegalArgumentException("ONNX file " + model.file() + " is not a BERT-family export: no "
                    + "initializer named '[bert.]embeddings.word_embeddings.weight' (first initializers: "
                    + firstNames(model.initializers().keySet()) + ")");
        }
        if (found.size() > 1) {
            throw new IllegalArgumentException("ONNX file " + model.file() + " holds several word embeddings "
                    + found + ": cannot tell which is the encoder");
        }
        String p = found.get(0);
        if (!p.isEmpty() && !p.equals("bert.")) {
            throw new IllegalArgumentException("ONNX file " + model.file() + " names its encoder '" + p
                    + "': only the BERT layout (no prefix or 'bert.') is supported by this importer");
        }
        return p;
    }

    private void rejectUnsupportedOps() {
        for (Node n : model.nodes()) {
            if (QUANTIZED_OPS.contains(n.opType())) {
                throw new IllegalArgumentException("ONNX file " + model.file() + " is quantised (node " + n
                        + "): convert the float export (model.onnx, not model_quantized.onnx)");
            }
            if (FUSED_OPS.contains(n.opType()) || n.domain().equals("com.microsoft")) {
                throw new IllegalArgumentException("ONNX file " + model.file() + " was optimised for ONNX Runtime "
                        + "(fused node " + n.opType() + " '" + n.name() + "' in domain '" + n.domain()
                        + "'): convert the un-optimised export (e.g. optimum-cli export onnx without -O2/-O3)");
            }
        }
    }

    // ---------------------------------------------------------------- weights

    /** Names every MatMul/Gemm weight after the bias that follows it, transposed back to (out, in). */
    private void nameLinearWeights() {
        Set<String> used = new HashSet<>();
        for (Node n : model.nodes()) {
            if (!n.domain().isEmpty()) {
                continue;
            }
            if (n.opType().equals("MatMul")) {
                nameMatMul(n, used);
            } else if (n.opType().equals("Gemm")) {
                nameGemm(n);
            }
        }
    }

    private void nameMatMul(Node n, Set<String> used) {
        String b = n.input(1);
        Tensor w = model.initializers().get(b);
        boolean transposed = true;
        if (w == null) {
            // Some exporters keep the Linear weight as (out, in) under its own name and transpose it in the graph.
            Node p = model.producer(b);
            if (p != null && p.opType().equals("Transpose") && model.initializers().containsKey(p.input(0))
                    && isPerm10(p)) {
                w = model.initializers().get(p.input(0));
                transposed = false;
            }
        }
        if (w == null || w.dims().length != 2) {
            return; // activation x activation (attention scores) or a batched constant: not a Linear
        }
        checkFloat(w);
        long outFeatures = transposed ? w.dims()[1] : w.dims()[0];
        String out = n.output(0);
        Node add = null;
        Tensor bias = null;
        for (Node c : model.consumers(out)) {
            if (c.opType().equals("Add")) {
                String other = out.equals(c.input(0)) ? c.input(1) : c.input(0);
                Tensor t = model.initializers().get(other);
                if (t != null && t.name().endsWith(".bias") && t.dims().length == 1 && t.dims()[0] == outFeatures) {
                    add = c;
                    bias = t;
                }
            }
        }
        String module;
        if (bias != null) {
            module = bias.name().substring(0, bias.name().length() - ".bias".length());
        } else if (w.name().endsWith(".weight") && !transposed) {
            module = w.name().substring(0, w.name().length() - ".weight".length());
        } else {
            throw new IllegalArgumentException("ONNX node " + n + " multiplies by initializer '" + w.name() + "' "
                    + Arrays.toString(w.dims()) + " but no Add of a '<module>.bias' initializer follows it, so the "
                    + "weight cannot be named (a Linear without bias is not part of the BERT layout)");
        }
        if (!used.add(w.name())) {
            throw new IllegalArgumentException("ONNX initializer '" + w.name() + "' is the weight of two Linear "
                    + "layers (second: " + module + "); tied Linear weights are not supported");
        }
        put(module + ".weight", transposed ? transpose(w) : new Out(w.dataType(), w.dims(), w.data()));
        linearOutputs.put(module, add != null ? add.output(0) : out);
        consumedWeights.add(w.name());
    }

    /** Gemm(A, B, C) = A * op(B) + C with op = transpose when transB = 1 (torch.onnx's form for 2-D Linear input). */
    private void nameGemm(Node n) {
        Tensor w = model.initializers().get(n.input(1));
        Tensor c = model.initializers().get(n.input(2));
        if (w == null || w.dims().length != 2) {
            return;
        }
        checkFloat(w);
        if (attrInt(n, "transA", 0) != 0) {
            throw new IllegalArgumentException("ONNX node " + n + " transposes its activation (transA=1): not a "
                    + "Linear layer this importer understands");
        }
        boolean transB = attrInt(n, "transB", 0) != 0;
        String module;
        if (c != null && c.name().endsWith(".bias")) {
            module = c.name().substring(0, c.name().length() - ".bias".length());
        } else if (w.name().endsWith(".weight")) {
            module = w.name().substring(0, w.name().length() - ".weight".length());
        } else {
            throw new IllegalArgumentException("ONNX node " + n + " uses initializer '" + w.name() + "' with no "
                    + "'<module>.bias' beside it, so the weight cannot be named");
        }
        put(module + ".weight", transB ? new Out(w.dataType(), w.dims(), w.data()) : transpose(w));
        linearOutputs.put(module, n.output(0));
        consumedWeights.add(w.name());
    }

    /** Keeps the initializers that carry their Python names (embeddings, LayerNorms, biases). */
    private void keepNamedInitializers() {
        for (Tensor t : model.initializers().values()) {
            if (consumedWeights.contains(t.name()) || tensors.containsKey(t.name())) {
                continue;
            }
            boolean isFloat = t.dataType() == OnnxModel.FLOAT || t.dataType() == OnnxModel.FLOAT16
                    || t.dataType() == OnnxModel.BFLOAT16 || t.dataType() == OnnxModel.DOUBLE;
            if (!isFloat) {
                continue; // position_ids, shape constants: buffers and graph plumbing, not parameters
            }
            if (t.name().endsWith(".weight") || t.name().endsWith(".bias")) {
                checkFloat(t);
                put(t.name(), new Out(t.dataType(), t.dims(), t.data()));
            } else if (t.dims().length >= 2) {
                throw new IllegalArgumentException("ONNX initializer '" + t.name() + "' " + Arrays.toString(t.dims())
                        + " looks like a parameter but is used by no Linear layer and has no Python name: this "
                        + "graph is not a plain BERT export");
            }
        }
    }

    private void put(String key, Out t) {
        if (tensors.put(key, t) != null) {
            throw new IllegalArgumentException("ONNX graph maps two tensors to '" + key + "'");
        }
    }

    private static void checkFloat(Tensor t) {
        if (t.dataType() != OnnxModel.FLOAT && t.dataType() != OnnxModel.FLOAT16
                && t.dataType() != OnnxModel.BFLOAT16 && t.dataType() != OnnxModel.DOUBLE) {
            throw new IllegalArgumentException("ONNX weight '" + t.name() + "' has type " + t.dataTypeName()
                    + "; only float32 / float16 / bfloat16 / float64 weights can be converted");
        }
    }

    private static boolean isPerm10(Node transpose) {
        OnnxModel.Attribute perm = transpose.attribute("perm");
        return perm == null || Arrays.equals(perm.ints(), new long[] {1, 0});
    }

    private static long attrInt(Node n, String name, long dflt) {
        OnnxModel.Attribute a = n.attribute(name);
        return a == null ? dflt : a.i();
    }

    /** (in, out) -> (out, in). */
    private static Out transpose(Tensor w) {
        int rows = Math.toIntExact(w.dims()[0]);
        int cols = Math.toIntExact(w.dims()[1]);
        int es = w.elementSize();
        ByteBuffer src = w.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer dst = ByteBuffer.allocateDirect(rows * cols * es).order(ByteOrder.LITTLE_ENDIAN);
        if (es == 4) {
            java.nio.FloatBuffer s = src.asFloatBuffer();
            java.nio.FloatBuffer d = dst.asFloatBuffer();
            float[] row = new float[cols];
            for (int r = 0; r < rows; r++) {
                s.get(r * cols, row);
                for (int c = 0; c < cols; c++) {
                    d.put(c * rows + r, row[c]);
                }
            }
        } else {
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < cols; c++) {
                    int from = (r * cols + c) * es;
                    int to = (c * rows + r) * es;
                    for (int k = 0; k < es; k++) {
                        dst.put(to + k, src.get(from + k));
                    }
                }
            }
        }
        return new Out(w.dataType(), new long[] {cols, rows}, dst);
    }

    // ---------------------------------------------------------------- config

    private Out require(String key) {
        Out t = tensors.get(key);
        if (t == null) {
            throw new IllegalArgumentException("ONNX file " + model.file() + " has no '" + key + "': not a BERT "
                    + "encoder export (found: " + firstNames(tensors.keySet()) + ")");
        }
        return t;
    }

    private Map<String, Object> inferConfig() {
        String e = prefix + "embeddings.";
        Out word = require(e + "word_embeddings.weight");
        Out pos = require(e + "position_embeddings.weight");
        Out type = require(e + "token_type_embeddings.weight");
        require(e + "LayerNorm.weight");
        require(e + "LayerNorm.bias");
        long vocab = word.dims()[0];
        long hidden = word.dims()[1];
        for (String k : tensors.keySet()) {
            if (k.contains("distance_embedding")) {
                throw new IllegalArgumentException("ONNX file " + model.file() + " uses relative position embeddings ('"
                        + k + "'); only absolute position embeddings are supported by this importer");
            }
        }

        int layers = countLayers();
        long intermediate = require(prefix + "encoder.layer.0.intermediate.dense.weight").dims()[0];
        for (int i = 0; i < layers; i++) {
            String l = prefix + "encoder.layer." + i + ".";
            for (String m : LAYER_MODULES) {
                boolean dense = !m.endsWith("LayerNorm");
                long out = m.equals("intermediate.dense") ? intermediate : hidden;
                long in = m.equals("output.dense") ? intermediate : hidden;
                checkShape(l + m + ".weight", dense ? new long[] {out, in} : new long[] {hidden});
                checkShape(l + m + ".bias", new long[] {out});
            }
        }
        int heads = inferHeads(hidden);
        double eps = inferLayerNormEps(e + "LayerNorm.weight");
        String act = inferHiddenAct();

        Map<String, Object> c = new LinkedHashMap<>();
        c.put("architectures", List.of(architecture()));
        c.put("attention_probs_dropout_prob", 0.1);
        c.put("classifier_dropout", null);
        c.put("hidden_act", act);
        c.put("hidden_dropout_prob", 0.1);
        c.put("hidden_size", hidden);
        c.put("initializer_range", 0.02);
        c.put("intermediate_size", intermediate);
        c.put("layer_norm_eps", eps);
        c.put("max_position_embeddings", pos.dims()[0]);
        c.put("model_type", "bert");
        c.put("num_attention_heads", heads);
        c.put("num_hidden_layers", layers);
        c.put("pad_token_id", 0);
        c.put("position_embedding_type", "absolute");
        c.put("torch_dtype", word.dataType() == OnnxModel.FLOAT16 ? "float16" : "float32");
        c.put("transformers_version", PretrainedConfig.TRANSFORMERS_VERSION);
        c.put("type_vocab_size", type.dims()[0]);
        c.put("use_cache", true);
        c.put("vocab_size", vocab);
        Out classifier = tensors.get("classifier.weight");
        if (classifier != null) {
            Map<String, String> id2label = new LinkedHashMap<>();
            Map<String, Integer> label2id = new LinkedHashMap<>();
            for (int i = 0; i < classifier.dims()[0]; i++) {
                id2label.put(Integer.toString(i), "LABEL_" + i);
                label2id.put("LABEL_" + i, i);
            }
            c.put("id2label", id2label);
            c.put("label2id", label2id);
        }
        return c;
    }

    private int countLayers() {
        Pattern p = Pattern.compile(Pattern.quote(prefix + "encoder.layer.") + "(\\d+)\\..*");
        TreeSet<Integer> seen = new TreeSet<>();
        for (String k : tensors.keySet()) {
            Matcher m = p.matcher(k);
            if (m.matches()) {
                seen.add(Integer.parseInt(m.group(1)));
            }
        }
        if (seen.isEmpty()) {
            throw new IllegalArgumentException("ONNX file " + model.file() + " has no '" + prefix
                    + "encoder.layer.N.*' tensors: not a BERT encoder export");
        }
        if (seen.first() != 0 || seen.last() != seen.size() - 1) {
            throw new IllegalArgumentException("ONNX file " + model.file() + " has encoder layers " + seen
                    + ", not 0.." + (seen.size() - 1));
        }
        return seen.size();
    }

    private void checkShape(String key, long[] expected) {
        Out t = require(key);
        if (!Arrays.equals(t.dims(), expected)) {
            throw new IllegalArgumentException("ONNX tensor for '" + key + "' has shape " + Arrays.toString(t.dims())
                    + ", expected " + Arrays.toString(expected) + " from the embedding / intermediate sizes");
        }
    }

    private String architecture() {
        if (tensors.containsKey("qa_outputs.weight")) {
            return "BertForQuestionAnswering";
        }
        if (tensors.containsKey("classifier.weight")) {
            return tensors.containsKey(prefix + "pooler.dense.weight") ? "BertForSequenceClassification"
                    : "BertForTokenClassification";
        }
        Set<String> heads = new TreeSet<>();
        for (String k : tensors.keySet()) {
            if (!k.startsWith(prefix + "embeddings.") && !k.startsWith(prefix + "encoder.")
                    && !k.startsWith(prefix + "pooler.")) {
                heads.add(k);
            }
        }
        if (!heads.isEmpty()) {
            throw new IllegalArgumentException("ONNX file " + model.file() + " holds tensors of a head this importer "
                    + "does not know: " + heads);
        }
        return "BertModel";
    }

    /**
     * The head count: BertSelfAttention.transpose_for_scores reshapes the query to (B, T, heads, head_dim), and the
     * export keeps the last two as constants (directly or inside a Concat). Failing that, the score scale
     * 1/sqrt(head_dim) applied after Q K^T gives head_dim.
     */
    private int inferHeads(long hidden) {
        String q = linearOutputs.get(prefix + "encoder.layer.0.attention.self.query");
        if (q == null) {
            throw new IllegalArgumentException("ONNX graph has no query projection for layer 0");
        }
        for (Node r : model.consumers(q)) {
            if (r.opType().equals("Reshape")) {
                long[] tail = lastTwoConstants(r.input(1));
                if (tail != null) {
                    long h = tail[0];
                    long d = tail[1];
                    if (h <= 0 && d > 0) {
                        h = hidden / d;
                    } else if (d <= 0 && h > 0) {
                        d = hidden / h;
                    }
                    if (h > 0 && d > 0 && h * d == hidden) {
                        return (int) h;
                    }
                }
            }
        }
        Long headDim = headDimFromScale(q, new HashSet<>(), 0);
        if (headDim != null && headDim > 0 && hidden % headDim == 0) {
            return (int) (hidden / headDim);
        }
        throw new IllegalArgumentException("Cannot infer num_attention_heads from ONNX file " + model.file()
                + ": no constant query Reshape shape and no 1/sqrt(head_dim) score scale found");
    }

    private long[] lastTwoConstants(String shapeValue) {
        Tensor t = model.constant(shapeValue);
        if (t != null) {
            long[] s = t.toLongs();
            return s.length >= 2 ? new long[] {s[s.length - 2], s[s.length - 1]} : null;
        }
        Node p = model.producer(shapeValue);
        if (p != null && p.opType().equals("Concat") && p.inputs().size() >= 2) {
            Tensor a = model.constant(p.input(p.inputs().size() - 2));
            Tensor b = model.constant(p.input(p.inputs().size() - 1));
            if (a != null && b != null && a.numel() == 1 && b.numel() == 1) {
                return new long[] {a.toLongs()[0], b.toLongs()[0]};
            }
        }
        return null;
    }

    /** Follows the query forward to the score MatMul and reads the Div / Mul constant after it. */
    private Long headDimFromScale(String value, Set<String> seen, int depth) {
        if (depth > 8 || !seen.add(value)) {
            return null;
        }
        for (Node c : model.consumers(value)) {
            if (c.opType().equals("MatMul")) {
                for (Node s : model.consumers(c.output(0))) {
                    Tensor k = constantOperand(s);
                    if (k != null && k.numel() == 1) {
                        double v = k.scalar();
                        if (s.opType().equals("Div")) {
                            return Math.round(v * v);
                        }
                        if (s.opType().equals("Mul") && v > 0 && v < 1) {
                            return Math.round(1 / (v * v));
                        }
                    }
                }
            } else if (Set.of("Reshape", "Transpose").contains(c.opType())) {
                Long d = headDimFromScale(c.output(0), seen, depth + 1);
                if (d != null) {
                    return d;
                }
            }
        }
        return null;
    }

    private Tensor constantOperand(Node n) {
        if (n.inputs().size() != 2) {
            return null;
        }
        Tensor b = model.constant(n.input(1));
        return b != null ? b : n.opType().equals("Mul") ? model.constant(n.input(0)) : null;
    }

    /**
     * The epsilon of the LayerNorm whose gamma is {@code gammaName}: a LayerNormalization node's attribute, or in the
     * decomposed form (x - mean) / sqrt(var + eps) * gamma + beta, the constant added before the Sqrt.
     */
    private double inferLayerNormEps(String gammaName) {
        for (Node n : model.consumers(gammaName)) {
            if (n.opType().equals("LayerNormalization")) {
                OnnxModel.Attribute a = n.attribute("epsilon");
                return roundFloat(a == null ? 1e-5 : a.f());
            }
            if (n.opType().equals("Mul")) {
                String other = gammaName.equals(n.input(0)) ? n.input(1) : n.input(0);
                Double eps = epsBefore(other, 0);
                if (eps != null) {
                    return roundFloat(eps);
                }
            }
        }
        throw new IllegalArgumentException("Cannot infer layer_norm_eps from ONNX file " + model.file() + ": no "
                + "LayerNormalization node or (x - mean) / sqrt(var + eps) pattern uses '" + gammaName + "'");
    }

    private Double epsBefore(String value, int depth) {
        Node p = model.producer(value);
        if (p == null || depth > 4) {
            return null;
        }
        switch (p.opType()) {
            case "Sqrt" -> {
                Node add = model.producer(p.input(0));
                if (add != null && add.opType().equals("Add")) {
                    for (String in : add.inputs()) {
                        Tensor t = model.constant(in);
                        if (t != null && t.numel() == 1) {
                            return t.scalar();
                        }
                    }
                }
                return null;
            }
            case "Div" -> {
                return epsBefore(p.input(1), depth + 1);
            }
            case "Reciprocal" -> {
                return epsBefore(p.input(0), depth + 1);
            }
            case "Mul" -> {
                Double a = epsBefore(p.input(0), depth + 1);
                return a != null ? a : epsBefore(p.input(1), depth + 1);
            }
            default -> {
                return null;
            }
        }
    }

    /** Reads the epsilon as the float32 it was (9.99999996e-13 -> 1e-12), the way config.json writes it. */
    private static double roundFloat(double v) {
        return Double.parseDouble(Float.toString((float) v));
    }

    /** Names the activation from the ops between intermediate.dense and output.dense of layer 0. */
    private String inferHiddenAct() {
        String start = linearOutputs.get(prefix + "encoder.layer.0.intermediate.dense");
        Set<String> ops = new TreeSet<>();
        String gelu = null;
        Deque<String> todo = new ArrayDeque<>();
        Set<String> seen = new HashSet<>();
        todo.add(start);
        while (!todo.isEmpty() && seen.size() < 32) {
            String v = todo.poll();
            if (!seen.add(v)) {
                continue;
            }
            for (Node c : model.consumers(v)) {
                if (c.opType().equals("MatMul") || c.opType().equals("Gemm")) {
                    continue;
                }
                ops.add(c.opType());
                if (c.opType().equals("Gelu")) {
                    OnnxModel.Attribute a = c.attribute("approximate");
                    gelu = a != null && "tanh".equals(a.s()) ? "gelu_new" : "gelu";
                }
                todo.addAll(c.outputs());
            }
        }
        if (gelu != null) {
            return gelu;
        }
        if (ops.contains("Erf")) {
            return "gelu";
        }
        if (ops.contains("Tanh")) {
            return "gelu_new";
        }
        if (ops.contains("Relu")) {
            return "relu";
        }
        if (ops.contains("Sigmoid")) {
            return "silu";
        }
        throw new IllegalArgumentException("Cannot infer hidden_act from ONNX file " + model.file()
                + ": the intermediate activation uses ops " + ops);
    }

    // ---------------------------------------------------------------- writing

    private void writeSafetensors(Path dir) throws IOException {
        Torch.ensureThreadReady();
        try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            for (Map.Entry<String, Out> en : tensors.entrySet()) {
                arrays.put(en.getKey(), toArray(manager, en.getKey(), en.getValue()));
            }
            Checkpoints.save(dir, arrays, PreTrainedModel.DEFAULT_MAX_SHARD_BYTES);
        }
    }

    private static NDArray toArray(NDManager manager, String key, Out t) {
        ByteBuffer src = t.data().duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int n = 1;
        for (long d : t.dims()) {
            n = Math.multiplyExact(n, Math.toIntExact(d));
        }
        // A fresh, aligned, native-order copy: the mapped ONNX bytes may sit at any offset.
        ByteBuffer dst;
        DataType type;
        switch (t.dataType()) {
            case OnnxModel.FLOAT, OnnxModel.FLOAT16 -> {
                int es = t.dataType() == OnnxModel.FLOAT ? 4 : 2;
                dst = ByteBuffer.allocateDirect(n * es).order(ByteOrder.nativeOrder());
                if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
                    dst.put(src.limit(src.position() + n * es)).clear();
                } else if (es == 4) {
                    dst.asFloatBuffer().put(src.asFloatBuffer());
                } else {
                    dst.asShortBuffer().put(src.asShortBuffer());
                }
                type = es == 4 ? DataType.FLOAT32 : DataType.FLOAT16;
            }
            case OnnxModel.BFLOAT16, OnnxModel.DOUBLE -> {
                // DJL cannot hold bfloat16 (NOTES-DJL.md); both widen / narrow exactly enough to float32.
                dst = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder());
                for (int i = 0; i < n; i++) {
                    float v = t.dataType() == OnnxModel.DOUBLE ? (float) src.getDouble(i * 8)
                            : Float.intBitsToFloat((src.getShort(i * 2) & 0xffff) << 16);
                    dst.putFloat(i * 4, v);
                }
                type = DataType.FLOAT32;
            }
            default -> throw new IllegalArgumentException("Cannot write ONNX tensor for '" + key + "' of type "
                    + OnnxModel.dataTypeName(t.dataType()));
        }
        return manager.create(dst, new Shape(t.dims()), type);
    }

    private static String firstNames(Set<String> names) {
        List<String> l = new ArrayList<>(names);
        return l.size() <= 8 ? l.toString() : l.subList(0, 8) + " ... (" + l.size() + " in all)";
    }
}
