package io.transformers4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.sentence.DefaultModel;
import io.transformers4j.sentence.SentenceTransformer;
import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code transformers embed TEXT...} and {@code transformers similarity TEXT...}: sentence embeddings with a
 * sentence-transformers checkpoint (default: the built-in all-MiniLM-L6-v2).
 */
final class EmbedCommand {
    private EmbedCommand() {}

    static final String EMBED_USAGE = "transformers embed TEXT... [--model REPO_OR_DIR] [--format text|json] [--batch-size N]";
    static final String SIMILARITY_USAGE = "transformers similarity TEXT... [--model REPO_OR_DIR]";

    static SentenceTransformer open(String model) throws IOException {
        LoadOptions options = LoadOptions.defaults();
        return model == null ? DefaultModel.load(options) : SentenceTransformer.fromPretrained(model, options);
    }

    static int embed(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args a = Args.parse(argv, 1, Set.of("model", "format", "batch-size"), Set.of());
        if (a.positionals.isEmpty()) {
            throw new Args.UsageException("embed needs at least one TEXT");
        }
        String format = a.get("format", "text");
        if (!format.equals("text") && !format.equals("json")) {
            throw new Args.UsageException("--format must be text or json, got '" + format + "'");
        }
        try (SentenceTransformer st = open(a.get("model", null))) {
            float[][] vectors = st.encode(a.positionals, a.getInt("batch-size", SentenceTransformer.DEFAULT_BATCH_SIZE));
            if (format.equals("json")) {
                ObjectMapper json = new ObjectMapper();
                ArrayNode rows = json.createArrayNode();
                for (float[] v : vectors) {
                    ArrayNode row = rows.addArray();
                    for (float x : v) {
                        row.add(x);
                    }
                }
                out.println(json.writeValueAsString(rows));
            } else {
                err.printf(Locale.ROOT, "%d text(s) -> %d-dimensional embeddings%s%n", vectors.length, st.dimension(),
                        st.normalizes() ? " (L2-normalised)" : "");
                for (int i = 0; i < vectors.length; i++) {
                    out.println(quote(a.positionals.get(i)));
                    out.println("  " + formatVector(vectors[i]));
                }
            }
        }
        return 0;
    }

    static int similarity(String[] argv, PrintStream out) throws IOException {
        Args a = Args.parse(argv, 1, Set.of("model"), Set.of());
        if (a.positionals.size() < 2) {
            throw new Args.UsageException("similarity needs at least two TEXTs");
        }
        List<String> texts = a.positionals;
        try (SentenceTransformer st = open(a.get("model", null))) {
            float[][] v = st.encode(texts);
            float[][] sim = SentenceTransformer.similarity(v, v);
            out.println("Cosine similarity:");
            StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-4s", ""));
            for (int j = 0; j < texts.size(); j++) {
                head.append(String.format(Locale.ROOT, "%8s", "[" + j + "]"));
            }
            out.println(head);
            for (int i = 0; i < texts.size(); i++) {
                StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-4s", "[" + i + "]"));
                for (int j = 0; j < texts.size(); j++) {
                    row.append(String.format(Locale.ROOT, "%8.4f", sim[i][j]));
                }
                out.println(row);
            }
            out.println();
            for (int i = 0; i < texts.size(); i++) {
                out.println("[" + i + "] " + texts.get(i));
            }
        }
        return 0;
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n") + "\"";
    }

    /** The first and last few components, like numpy prints long vectors. */
    static String formatVector(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        int edge = 4;
        for (int i = 0; i < v.length; i++) {
            if (v.length > 2 * edge && i == edge) {
                sb.append("..., ");
                i = v.length - edge;
            }
            sb.append(String.format(Locale.ROOT, "%.5f", v[i]));
            if (i < v.length - 1) {
                sb.append(", ");
            }
        }
        return sb.append("]  (").append(v.length).append(" values)").toString();
    }
}
