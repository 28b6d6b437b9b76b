package io.transformers4j.sentence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.transformers4j.auto.AutoModel;
import io.transformers4j.hub.ModelFiles;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.models.bert.BertModel;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Checkpoints;
import io.transformers4j.weights.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Sentence embeddings the way Python's {@code sentence_transformers.SentenceTransformer} computes them, for models
 * saved in its folder layout: {@code modules.json} lists a Transformer (the checkpoint at the folder root), a
 * {@code Pooling} module ({@code 1_Pooling/config.json}) and optionally {@code Normalize};
 * {@code sentence_bert_config.json} gives {@code max_seq_length} and {@code do_lower_case}.
 *
 * <pre>{@code
 * try (SentenceTransformer st = SentenceTransformer.fromPretrained("sentence-transformers/all-MiniLM-L6-v2")) {
 *     float[][] e = st.encode(List.of("A man is eating food.", "A man is riding a horse."));
 *     float[][] sim = SentenceTransformer.similarity(e, e);
 * }
 * }</pre>
 *
 * <p>Thread-safe: the weights are shared and each call runs in its own native scope.
 */
public final class SentenceTransformer implements AutoCloseable {

    /** sentence-transformers' default {@code batch_size} of encode(). */
    public static final int DEFAULT_BATCH_SIZE = 32;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRANSFORMER = "sentence_transformers.models.Transformer";
    private static final String POOLING = "sentence_transformers.models.Pooling";
    private static final String NORMALIZE = "sentence_transformers.models.Normalize";

    private final PreTrainedModel model;
    private final SentenceTokenizer tokenizer;
    private final Pooling pooling;
    private final boolean normalize;
    private final int maxSeqLength;
    private final boolean doLowerCase;
    private final boolean useTokenTypeIds;
    private final int dimension;

    private SentenceTransformer(PreTrainedModel model, SentenceTokenizer tokenizer, Pooling pooling,
            boolean normalize, int maxSeqLength, boolean doLowerCase, boolean useTokenTypeIds, int dimension) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.pooling = pooling;
        this.normalize = normalize;
        this.maxSeqLength = maxSeqLength;
        this.doLowerCase = doLowerCase;
        this.useTokenTypeIds = useTokenTypeIds;
        this.dimension = dimension;
    }

    public static SentenceTransformer fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    /** Loads a sentence-transformers folder or hub repo (the Transformer module through {@link AutoModel}). */
    public static SentenceTransformer fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        ModelFiles files = ModelFiles.open(repoIdOrPath, options.hub());
        Pooling pooling = null;
        boolean normalize = false;
        Optional<Path> modules = files.file("modules.json");
        if (modules.isPresent()) {
            for (JsonNode m : readJson(modules.get())) {
                String type = m.path("type").asText();
                String path = m.path("path").asText("");
                switch (type) {
                    case TRANSFORMER -> {
                        if (!path.isEmpty()) {
                            throw new IllegalArgumentException(modules.get() + ": Transformer module at '" + path
                                    + "'; only a Transformer at the model folder root is supported");
                        }
                    }
                    case POOLING -> {
                        String cfg = path + "/config.json";
                        Path p = files.file(cfg).orElseThrow(() -> new java.nio.file.NoSuchFileException(
                                files.describe() + "/" + cfg, null, "Pooling module listed in modules.json"));
                        pooling = Pooling.fromConfig(readJson(p), p.toString());
                    }
                    case NORMALIZE -> normalize = true;
                    default -> throw new IllegalArgumentException(modules.get() + ": module type '" + type
                            + "' is not supported (Transformer, Pooling and Normalize are)");
                }
            }
        }
        JsonNode stConfig = optionalJson(files, "sentence_bert_config.json");
        JsonNode modelConfig = optionalJson(files, "config.json");
        if (modelConfig.isEmpty()) {
            throw new java.nio.file.NoSuchFileException(files.describe() + "/config.json", null,
                    "the Transformer module's config.json is missing");
        }
        JsonNode tokConfig = optionalJson(files, "tokenizer_config.json");
        // Python: max_seq_length from sentence_bert_config.json, else min(max_position_embeddings, model_max_length).
        int maxSeqLength;
        if (stConfig.hasNonNull("max_seq_length")) {
            maxSeqLength = stConfig.get("max_seq_length").asInt();
        } else {
            maxSeqLength = Math.min(modelConfig.path("max_position_embeddings").asInt(512),
                    tokConfig.path("model_max_length").asInt(Integer.MAX_VALUE));
        }
        boolean lower = stConfig.path("do_lower_case").asBoolean(false);
        int hidden = modelConfig.path("hidden_size").asInt(-1);
        if (pooling == null) {
            pooling = Pooling.meanOnly(hidden);
        } else if (pooling.dimension() > 0 && hidden > 0 && pooling.dimension() != hidden) {
            throw new IllegalArgumentException(files.describe() + ": Pooling word_embedding_dimension "
                    + pooling.dimension() + " differs from the model's hidden_size " + hidden);
        }
        // DistilBERT- and MPNet-style models have no token types (no type_vocab_size) and reject token_type_ids.
        boolean useTypes = modelConfig.has("type_vocab_size");

        files.file("tokenizer.json"); // fetch it next to the other files when this is a hub repo
        SentenceTokenizer tok = SentenceTokenizer.load(files.folder(), maxSeqLength);
        try {
            PreTrainedModel model = loadTransformer(repoIdOrPath, options, files, modelConfig);
            int modes = (pooling.cls() ? 1 : 0) + (pooling.max() ? 1 : 0) + (pooling.mean() ? 1 : 0)
                    + (pooling.meanSqrtLen() ? 1 : 0);
            int dimension = (pooling.dimension() > 0 ? pooling.dimension() : hidden) * modes;
            return new SentenceTransformer(model, tok, pooling, normalize, maxSeqLength, lower, useTypes, dimension);
        } catch (IOException | RuntimeException | Error e) {
            tok.close();
            throw e;
        }
    }

    /**
     * The Transformer module. A BERT checkpoint without pooler weights (ONNX imports such as the default model: the
     * export drops the unused pooler) loads as {@code BertModel(add_pooling_layer=False)} instead of getting a
     * randomly initialised pooler and a missing-keys warning; sentence embeddings never use the pooler.
     */
    private static PreTrainedModel loadTransformer(String repoIdOrPath, LoadOptions options, ModelFiles files,
            JsonNode modelConfig) throws IOException {
        if (modelConfig.path("model_type").asText().equals("bert")) {
            Optional<Path> weights = files.file(Checkpoints.SAFE_WEIGHTS_NAME);
            if (weights.isPresent()) {
                boolean hasPooler;
                try (SafetensorsFile f = SafetensorsFile.open(weights.get())) {
                    hasPooler = f.keys().contains("pooler.dense.weight") || f.keys().contains("bert.pooler.dense.weight");
                }
                if (!hasPooler) {
                    return BertModel.fromPretrained(repoIdOrPath, options, false);
                }
            }
        }
        return AutoModel.fromPretrained(repoIdOrPath, options);
    }

    /** The embedding of each sentence, in input order, batched by {@link #DEFAULT_BATCH_SIZE}. */
    public float[][] encode(List<String> sentences) {
        return encode(sentences, DEFAULT_BATCH_SIZE);
    }

    public float[] encode(String sentence) {
        return encode(List.of(sentence), 1)[0];
    }

    /**
     * As Python's {@code encode(sentences, batch_size=batchSize)}: sentences are sorted by length (longest first) so a
     * batch pads little, and the results put back in input order.
     */
    public float[][] encode(List<String> sentences, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        Torch.ensureThreadReady();
        int n = sentences.size();
        List<String> texts = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String s = sentences.get(i);
            if (s == null) {
                throw new IllegalArgumentException("sentences[" + i + "] is null");
            }
            // Python: str(s).strip(), then .lower() when do_lower_case.
            s = s.strip();
            texts.add(doLowerCase ? s.toLowerCase(Locale.ROOT) : s);
        }
        // Python sorts by -len(text) with a stable sort (np.argsort is quicksort, but lengths tie rarely matter).
        Integer[] order = IntStream.range(0, n).boxed().sorted(Comparator.comparingInt(i -> -texts.get(i).length()))
                .toArray(Integer[]::new);
        float[][] out = new float[n][];
        for (int start = 0; start < n; start += batchSize) {
            int end = Math.min(n, start + batchSize);
            List<String> batch = new ArrayList<>(end - start);
            for (int k = start; k < end; k++) {
                batch.add(texts.get(order[k]));
            }
            float[][] emb = encodeBatch(tokenizer.encode(batch));
            for (int k = start; k < end; k++) {
                out[order[k]] = emb[k - start];
            }
        }
        return out;
    }

    private float[][] encodeBatch(SentenceTokenizer.Batch batch) {
        int b = batch.size();
        int t = batch.seqLen();
        try (NDManager m = NDManager.newBaseManager(model.device())) {
            NDArray ids = m.create(flatten(batch.inputIds(), t), new Shape(b, t));
            NDArray mask = m.create(flatten(batch.attentionMask(), t), new Shape(b, t));
            ModelInputs.Builder in = ModelInputs.builder().inputIds(ids).attentionMask(mask);
            if (useTokenTypeIds) {
                in.tokenTypeIds(m.create(flatten(batch.tokenTypeIds(), t), new Shape(b, t)));
            }
            ModelOutput output = model.forward(in.build());
            NDArray hidden = output.toMap().get("last_hidden_state");
            if (hidden == null) {
                throw new IllegalStateException(model.getClass().getSimpleName() + " returned no last_hidden_state "
                        + "(outputs: " + output.toMap().keySet() + ")");
            }
            NDArray pooled = pooling.apply(hidden, mask);
            if (normalize) {
                pooled = Pooling.normalize(pooled);
            }
            float[] flat = pooled.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            int d = flat.length / b;
            float[][] rows = new float[b][d];
            for (int i = 0; i < b; i++) {
                System.arraycopy(flat, i * d, rows[i], 0, d);
            }
            return rows;
        }
    }

    private static long[] flatten(long[][] rows, int t) {
        long[] flat = new long[rows.length * t];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * t, t);
        }
        return flat;
    }

    /**
     * Cosine similarity of every row of {@code a} with every row of {@code b} (sentence-transformers'
     * {@code util.cos_sim}, the default {@code similarity} function): (len(a), len(b)).
     */
    public static float[][] similarity(float[][] a, float[][] b) {
        float[][] s = new float[a.length][b.length];
        double[] nb = new double[b.length];
        for (int j = 0; j < b.length; j++) {
            nb[j] = Math.max(Math.sqrt(dot(b[j], b[j])), 1e-8);
        }
        for (int i = 0; i < a.length; i++) {
            double na = Math.max(Math.sqrt(dot(a[i], a[i])), 1e-8);
            for (int j = 0; j < b.length; j++) {
                if (a[i].length != b[j].length) {
                    throw new IllegalArgumentException("similarity: a[" + i + "] has " + a[i].length
                            + " dimensions, b[" + j + "] has " + b[j].length);
                }
                s[i][j] = (float) (dot(a[i], b[j]) / (na * nb[j]));
            }
        }
        return s;
    }

    /** Cosine similarity of two embeddings. */
    public static float similarity(float[] a, float[] b) {
        return similarity(new float[][] {a}, new float[][] {b})[0][0];
    }

    private static double dot(float[] x, float[] y) {
        double s = 0;
        for (int k = 0; k < x.length; k++) {
            s += (double) x[k] * y[k];
        }
        return s;
    }

    /** Sequences are truncated to this many tokens (sentence_bert_config.json's max_seq_length). */
    public int maxSeqLength() {
        return maxSeqLength;
    }

    /** The embedding size. */
    public int dimension() {
        return dimension;
    }

    public boolean normalizes() {
        return normalize;
    }

    /** The underlying Transformer module (a BertModel for MiniLM). */
    public PreTrainedModel model() {
        return model;
    }

    @Override
    public void close() {
        tokenizer.close();
        model.close();
    }

    private static JsonNode readJson(Path p) throws IOException {
        try {
            return JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new IOException("Cannot parse " + p + " as JSON: " + e.getMessage(), e);
        }
    }

    private static JsonNode optionalJson(ModelFiles files, String name) throws IOException {
        Optional<Path> p = files.file(name);
        return p.isPresent() ? readJson(p.get()) : JSON.createObjectNode();
    }
}
