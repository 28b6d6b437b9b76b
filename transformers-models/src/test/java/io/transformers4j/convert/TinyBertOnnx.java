package io.transformers4j.convert;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Writes a small BERT encoder as an ONNX graph in the styles real exporters use, and remembers every weight in
 * Python's layout so a test can check what the importer recovers.
 */
final class TinyBertOnnx {

    enum Style {
        /** torch.onnx opset 11-14 (the MiniLM file): decomposed LayerNorm, Erf GELU, Concat reshape shapes. */
        TORCH,
        /** opset 17+: LayerNormalization / Gelu(tanh) ops, a Linear weight transposed in the graph, Reshape by an
         * initializer shape, "bert." prefix with pooler and a Gemm classifier. */
        OPSET17,
        /** As TORCH, but the reshape shape is computed, so the head count must come from the score scale. */
        TORCH_COMPUTED_SHAPE
    }

    record Expected(long[] dims, float[] data) {}

    static final int VOCAB = 30, HIDDEN = 8, HEADS = 2, INTER = 12, LAYERS = 2, MAX_POS = 16, TYPES = 2, LABELS = 3;

    final OnnxBuilder b = new OnnxBuilder();
    final Map<String, Expected> expected = new LinkedHashMap<>();
    private final Random rnd = new Random(42);
    private final Style style;
    private final String prefix;
    private int gen = 700;

    TinyBertOnnx(Style style) {
        this.style = style;
        this.prefix = style == Style.OPSET17 ? "bert." : "";
        build();
    }

    private float[] random(int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        return a;
    }

    /** A named initializer kept as is. */
    private String named(String key, long... dims) {
        int n = 1;
        for (long d : dims) {
            n *= (int) d;
        }
        float[] data = random(n);
        expected.put(key, new Expected(dims, data));
        b.initializer(key, dims, data);
        return key;
    }

    /** Linear weight (out, in) for Python, stored transposed (in, out) under a generated name. */
    private String transposedWeight(String key, int out, int in, String genPrefix) {
        float[] w = random(out * in);
        expected.put(key, new Expected(new long[] {out, in}, w));
        float[] t = new float[in * out];
        for (int o = 0; o < out; o++) {
            for (int i = 0; i < in; i++) {
                t[i * out + o] = w[o * in + i];
            }
        }
        String name = genPrefix + (gen++);
        b.initializer(name, new long[] {in, out}, t);
        return name;
    }

    private String linear(String x, String module, int out, int in, boolean biasFirst) {
        String w = transposedWeight(prefix + module + ".weight", out, in, "onnx::MatMul_");
        String bias = named(prefix + module + ".bias", out);
        String mm = b.node("MatMul", List.of(x, w));
        return b.node("Add", biasFirst ? List.of(bias, mm) : List.of(mm, bias));
    }

    private String layerNorm(String x, String module, float eps) {
        String g = named(prefix + module + ".weight", HIDDEN);
        String beta = named(prefix + module + ".bias", HIDDEN);
        if (style == Style.OPSET17) {
            return b.node("LayerNormalization", List.of(x, g, beta), OnnxBuilder.attrFloat("epsilon", eps),
                    OnnxBuilder.attrInt("axis", -1));
        }
        String mean = b.node("ReduceMean", List.of(x), OnnxBuilder.attrInts("axes", -1));
        String d = b.node("Sub", List.of(x, mean));
        String sq = b.node("Pow", List.of(d, b.constant(2f)));
        String var = b.node("ReduceMean", List.of(sq), OnnxBuilder.attrInts("axes", -1));
        String std = b.node("Sqrt", List.of(b.node("Add", List.of(var, b.constant(eps)))));
        String norm = b.node("Div", List.of(d, std));
        return b.node("Add", List.of(b.node("Mul", List.of(norm, g)), beta));
    }

    private String heads(String x) {
        String shape;
        switch (style) {
            case OPSET17 -> {
                shape = "onnx::Reshape_" + (gen++);
                b.initializerInt64(shape, new long[] {4}, new long[] {0, 0, HEADS, -1});
            }
            case TORCH -> shape = b.node("Concat", List.of(b.constantInts(-1), b.constantInts(-1),
                    b.constantInts(HEADS), b.constantInts(HIDDEN / HEADS)), OnnxBuilder.attrInt("axis", 0));
            default -> {
                String s = b.node("Shape", List.of(x));
                shape = b.node("Concat", List.of(b.node("Unsqueeze", List.of(s)), b.node("Unsqueeze", List.of(s)),
                        b.node("Unsqueeze", List.of(s)), b.node("Unsqueeze", List.of(s))), OnnxBuilder.attrInt("axis", 0));
            }
        }
        return b.node("Transpose", List.of(b.node("Reshape", List.of(x, shape))), OnnxBuilder.attrInts("perm", 0, 2, 1, 3));
    }

    private void build() {
        b.opset(style == Style.OPSET17 ? 17 : 11).input("input_ids").input("attention_mask").input("token_type_ids");
        b.initializerInt64(prefix + "embeddings.position_ids", new long[] {1, MAX_POS}, new long[MAX_POS]);
        String e = prefix + "embeddings.";
        String word = b.node("Gather", List.of(named(e + "word_embeddings.weight", VOCAB, HIDDEN), "input_ids"));
        String type = b.node("Gather", List.of(named(e + "token_type_embeddings.weight", TYPES, HIDDEN),
                "token_type_ids"));
        String pos = b.node("Gather", List.of(named(e + "position_embeddings.weight", MAX_POS, HIDDEN),
                prefix + "embeddings.position_ids"));
        float eps = style == Style.OPSET17 ? 1e-7f : 1e-12f;
        String h = layerNorm(b.node("Add", List.of(b.node("Add", List.of(word, type)), pos)), "embeddings.LayerNorm", eps);
        String mask = b.node("Mul", List.of(b.node("Sub", List.of(b.constant(1f),
                b.node("Cast", List.of("attention_mask")))), b.constant(-3.4e38f)));
        int hd = HIDDEN / HEADS;
        for (int i = 0; i < LAYERS; i++) {
            String l = "encoder.layer." + i + ".";
            String q;
            if (style == Style.OPSET17) {
                // Query weight kept under its own name as (out, in), transposed by a node (dynamo-style export).
                String w = named(prefix + l + "attention.self.query.weight", HIDDEN, HIDDEN);
                String bias = named(prefix + l + "attention.self.query.bias", HIDDEN);
                String t = b.node("Transpose", List.of(w), OnnxBuilder.attrInts("perm", 1, 0));
                q = b.node("Add", List.of(b.node("MatMul", List.of(h, t)), bias));
            } else {
                q = linear(h, l + "attention.self.query", HIDDEN, HIDDEN, true);
            }
            String k = linear(h, l + "attention.self.key", HIDDEN, HIDDEN, style != Style.OPSET17);
            String v = linear(h, l + "attention.self.value", HIDDEN, HIDDEN, true);
            String qh = heads(q);
            String kh = b.node("Transpose", List.of(heads(k)), OnnxBuilder.attrInts("perm", 0, 1, 3, 2));
            String vh = heads(v);
            String scores = b.node("MatMul", List.of(qh, kh));
            scores = style == Style.OPSET17
                    ? b.node("Mul", List.of(scores, b.constant((float) (1 / Math.sqrt(hd)))))
                    : b.node("Div", List.of(scores, b.constant((float) Math.sqrt(hd))));
            String probs = b.node("Softmax", List.of(b.node("Add", List.of(scores, mask))),
                    OnnxBuilder.attrInt("axis", -1));
            String ctx = b.node("Transpose", List.of(b.node("MatMul", List.of(probs, vh))),
                    OnnxBuilder.attrInts("perm", 0, 2, 1, 3));
            ctx = b.node("Reshape", List.of(ctx, b.constantInts(0, 0, HIDDEN)));
            String attn = linear(ctx, l + "attention.output.dense", HIDDEN, HIDDEN, true);
            h = layerNorm(b.node("Add", List.of(attn, h)), l + "attention.output.LayerNorm", eps);
            String inter = linear(h, l + "intermediate.dense", INTER, HIDDEN, true);
            String act;
            if (style == Style.OPSET17) {
                act = b.node("Gelu", List.of(inter), OnnxBuilder.attrString("approximate", "tanh"));
            } else {
                String erf = b.node("Erf", List.of(b.node("Div", List.of(inter, b.constant(1.4142135f)))));
                act = b.node("Mul", List.of(b.node("Mul", List.of(inter, b.node("Add", List.of(erf, b.constant(1f))))),
                        b.constant(0.5f)));
            }
            String out = linear(act, l + "output.dense", HIDDEN, INTER, true);
            h = layerNorm(b.node("Add", List.of(out, h)), l + "output.LayerNorm", eps);
        }
        b.node("Identity", "", List.of(h), List.of("last_hidden_state"));
        b.output("last_hidden_state");
        if (style == Style.OPSET17) {
            String first = b.node("Gather", List.of(h, b.constantInts(0)), OnnxBuilder.attrInt("axis", 1));
            String pw = named(prefix + "pooler.dense.weight", HIDDEN, HIDDEN);
            String pb = named(prefix + "pooler.dense.bias", HIDDEN);
            String pooled = b.node("Tanh", List.of(b.node("Gemm", List.of(first, pw, pb),
                    OnnxBuilder.attrInt("transB", 1))));
            String cw = transposedWeight("classifier.weight", LABELS, HIDDEN, "onnx::Gemm_");
            String cb = named("classifier.bias", LABELS);
            b.node("Gemm", "", List.of(pooled, cw, cb), List.of("logits"));
            b.output("logits");
        }
    }
}
