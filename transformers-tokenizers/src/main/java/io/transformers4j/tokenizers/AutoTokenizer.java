package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.hub.ModelFiles;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Python's {@code AutoTokenizer}: picks the tokenizer class from tokenizer_config.json's {@code tokenizer_class}
 * (a "...Fast" name maps to the same class), else from config.json's {@code model_type}, and loads it from a local
 * folder or a hub repo id. With {@code useFast} and only a tokenizer.json (no slow vocabulary files), the class's fast
 * port is used ({@link WhisperTokenizerFast}), or {@link PreTrainedTokenizerFast} for classes without one.
 */
public final class AutoTokenizer {
    private AutoTokenizer() {}

    /** Builds a tokenizer from its merged config and folder. */
    @FunctionalInterface
    interface Factory {
        PreTrainedTokenizer create(ObjectNode config, Path dir) throws IOException;
    }

    /** Python class name → our implementation: one explicit table, no registration side effects. */
    static final Map<String, Factory> CLASSES = new LinkedHashMap<>();
    /**
     * Ported "...Fast" classes over a checkpoint's tokenizer.json, by base name: used when only tokenizer.json is
     * there; other classes then fall back to {@link PreTrainedTokenizerFast}.
     */
    static final Map<String, Factory> FAST_CLASSES = new LinkedHashMap<>();
    /** config.json model_type → Python tokenizer class (TOKENIZER_MAPPING_NAMES, the slow column). */
    static final Map<String, String> MODEL_TYPES = new LinkedHashMap<>();

    static {
        CLASSES.put("BertTokenizer", BertTokenizer::new);
        CLASSES.put("GPT2Tokenizer", GPT2Tokenizer::new);
        CLASSES.put("WhisperTokenizer", WhisperTokenizer::new);
        CLASSES.put("T5Tokenizer", T5Tokenizer::new);
        CLASSES.put("LlamaTokenizer", LlamaTokenizer::new);
        CLASSES.put("CodeLlamaTokenizer", LlamaTokenizer::new);
        CLASSES.put("BlenderbotSmallTokenizer", BlenderbotSmallTokenizer::new);
        CLASSES.put("Speech2Text2Tokenizer", Speech2Text2Tokenizer::new);
        CLASSES.put("PreTrainedTokenizerFast", PreTrainedTokenizerFast::new);
        FAST_CLASSES.put("WhisperTokenizer", WhisperTokenizerFast::new);
        MODEL_TYPES.put("bert", "BertTokenizer");
        MODEL_TYPES.put("nezha", "BertTokenizer");
        MODEL_TYPES.put("gpt2", "GPT2Tokenizer");
        MODEL_TYPES.put("whisper", "WhisperTokenizer");
        MODEL_TYPES.put("t5", "T5Tokenizer");
        MODEL_TYPES.put("longt5", "T5Tokenizer");
        MODEL_TYPES.put("llama", "LlamaTokenizer");
        MODEL_TYPES.put("mistral", "LlamaTokenizer");
        MODEL_TYPES.put("mixtral", "LlamaTokenizer");
        MODEL_TYPES.put("persimmon", "LlamaTokenizer");
        MODEL_TYPES.put("blenderbot-small", "BlenderbotSmallTokenizer");
        MODEL_TYPES.put("speech_to_text_2", "Speech2Text2Tokenizer");
    }

    /** The files a tokenizer can be built from, in the order we look for them (named in the missing-files error). */
    static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json", "vocab.txt",
            "vocab.json", "merges.txt", "spiece.model", "tokenizer.model", "special_tokens_map.json");

    /** The Python tokenizer classes this port supports (for messages and callers). */
    public static List<String> supportedClasses() {
        List<String> out = new ArrayList<>();
        for (String c : CLASSES.keySet()) {
            out.add(c);
            if (!c.equals("PreTrainedTokenizerFast")) {
                out.add(c + "Fast");
            }
        }
        return out;
    }

    public static PreTrainedTokenizer fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, TokenizerOptions.defaults());
    }

    public static PreTrainedTokenizer fromPretrained(String repoIdOrPath, TokenizerOptions options)
            throws IOException {
        ModelFiles files = ModelFiles.open(repoIdOrPath, options.hub());
        Map<String, Path> found = new LinkedHashMap<>();
        for (String f : TOKENIZER_FILES) {
            Optional<Path> p = files.file(f);
            p.ifPresent(path -> found.put(f, path));
        }
        files.file("added_tokens.json").ifPresent(p -> found.put("added_tokens.json", p));
        // Whisper's spelling mapping (english_spelling_normalizer); fetched so the tokenizer finds it in the folder.
        files.file("normalizer.json");
        ObjectNode config = PreTrainedTokenizer.JSON.createObjectNode();
        if (found.containsKey("tokenizer_config.json")) {
            JsonNode n = readJson(found.get("tokenizer_config.json"));
            if (!(n instanceof ObjectNode o)) {
                throw new IOException(found.get("tokenizer_config.json") + " does not hold a JSON object");
            }
            config = o;
        }
        mergeSpecialTokensMap(config, found.get("special_tokens_map.json"), options.kwargs());
        mergeAddedTokensJson(config, found.get("added_tokens.json"));
        for (Map.Entry<String, Object> e : options.kwargs().entrySet()) {
            Object v = e.getValue() == TokenizerOptions.NULL ? null : e.getValue();
            config.set(e.getKey(), PreTrainedTokenizer.JSON.valueToTree(v));
        }
        String cls = tokenizerClass(config, files);
        Path dir = files.folder();
        boolean hasModelFiles = found.keySet().stream().anyMatch(f -> !f.endsWith("config.json")
                && !f.equals("special_tokens_map.json") && !f.equals("added_tokens.json"));
        if (!hasModelFiles) {
            throw new NoSuchFileException(files.describe(), null, "Can't load a tokenizer for '" + repoIdOrPath
                    + "': none of its files were found. Looked for " + TOKENIZER_FILES + " (plus added_tokens.json)"
                    + " in " + files.describe());
        }
        boolean fastFile = found.containsKey("tokenizer.json");
        if (cls == null) {
            if (fastFile) {
                return new PreTrainedTokenizerFast(config, dir);
            }
            throw new IllegalArgumentException("Can't tell which tokenizer class to use for '" + repoIdOrPath
                    + "': tokenizer_config.json has no tokenizer_class and config.json no known model_type. Pass"
                    + " tokenizer_class in the options; supported: " + supportedClasses());
        }
        String base = cls.endsWith("Fast") && !cls.equals("PreTrainedTokenizerFast")
                ? cls.substring(0, cls.length() - 4) : cls;
        Factory f = CLASSES.get(base);
        if (f == null) {
            if (fastFile && options.useFast()) {
                PreTrainedTokenizer.LOG.warn("No port of {}: using PreTrainedTokenizerFast over tokenizer.json", cls);
                return new PreTrainedTokenizerFast(config, dir);
            }
            throw new IllegalArgumentException("Tokenizer class " + cls + " does not exist or is not currently"
                    + " supported. Supported tokenizer classes: " + new TreeSet<>(supportedClasses()));
        }
        if (fastFile && options.useFast() && !base.equals("PreTrainedTokenizerFast") && !hasSlowFiles(base, found)) {
            Factory fast = FAST_CLASSES.get(base);
            return fast != null ? fast.create(config, dir) : new PreTrainedTokenizerFast(config, dir);
        }
        return f.create(config, dir);
    }

    /** Whether the files the slow class reads are present (else tokenizer.json is the only way in). */
    private static boolean hasSlowFiles(String cls, Map<String, Path> found) {
        return switch (cls) {
            case "BertTokenizer" -> found.containsKey("vocab.txt");
            case "GPT2Tokenizer", "WhisperTokenizer", "BlenderbotSmallTokenizer", "Speech2Text2Tokenizer" ->
                    found.containsKey("vocab.json") && found.containsKey("merges.txt");
            case "T5Tokenizer" -> found.containsKey("spiece.model");
            case "LlamaTokenizer", "CodeLlamaTokenizer" -> found.containsKey("tokenizer.model");
            default -> false;
        };
    }

    private static String tokenizerClass(ObjectNode config, ModelFiles files) throws IOException {
        JsonNode c = config.get("tokenizer_class");
        if (c != null && c.isTextual() && !c.asText().isEmpty()) {
            return c.asText();
        }
        Optional<Path> modelConfig = files.file("config.json");
        if (modelConfig.isPresent()) {
            JsonNode mc = readJson(modelConfig.get());
            JsonNode tc = mc.get("tokenizer_class");
            if (tc != null && tc.isTextual()) {
                return tc.asText();
            }
            String type = mc.path("model_type").asText("");
            String mapped = MODEL_TYPES.get(type);
            if (mapped == null && !type.isEmpty()) {
                throw new IllegalArgumentException("No tokenizer class for model_type '" + type + "' (from "
                        + modelConfig.get() + "). Supported model types: " + MODEL_TYPES.keySet()
                        + "; supported tokenizer classes: " + supportedClasses());
            }
            return mapped;
        }
        return null;
    }

    private static JsonNode readJson(Path p) throws IOException {
        try {
            return PreTrainedTokenizer.JSON.readTree(p.toFile());
        } catch (IOException e) {
            throw new IOException("Cannot parse " + p + " as JSON: " + e.getMessage(), e);
        }
    }

    /** special_tokens_map.json values win over tokenizer_config.json's, unless the caller passed the key. */
    private static void mergeSpecialTokensMap(ObjectNode config, Path file, Map<String, Object> kwargs)
            throws IOException {
        if (file == null) {
            return;
        }
        JsonNode map = readJson(file);
        map.fields().forEachRemaining(e -> {
            if (kwargs.containsKey(e.getKey())) {
                return;
            }
            if (e.getKey().equals("additional_special_tokens") && e.getValue().isArray()) {
                JsonNode existing = config.get("additional_special_tokens");
                var arr = PreTrainedTokenizer.JSON.createArrayNode();
                List<String> seen = new ArrayList<>();
                if (existing != null && existing.isArray()) {
                    for (JsonNode n : existing) {
                        arr.add(n);
                        seen.add(n.isTextual() ? n.asText() : n.path("content").asText());
                    }
                }
                for (JsonNode n : e.getValue()) {
                    String content = n.isTextual() ? n.asText() : n.path("content").asText();
                    if (!seen.contains(content)) {
                        arr.add(n);
                        seen.add(content);
                    }
                }
                config.set("additional_special_tokens", arr);
            } else {
                config.set(e.getKey(), e.getValue());
            }
        });
    }

    /** The legacy added_tokens.json (token → id), used when tokenizer_config.json has no added_tokens_decoder. */
    private static void mergeAddedTokensJson(ObjectNode config, Path file) throws IOException {
        if (file == null || config.has("added_tokens_decoder")) {
            return;
        }
        JsonNode added = readJson(file);
        ObjectNode decoder = config.putObject("added_tokens_decoder");
        added.fields().forEachRemaining(e -> {
            ObjectNode t = decoder.putObject(String.valueOf(e.getValue().asInt()));
            t.put("content", e.getKey());
            t.put("lstrip", false);
            t.put("normalized", true);
            t.put("rstrip", false);
            t.put("single_word", false);
            t.put("special", false);
        });
    }
}
