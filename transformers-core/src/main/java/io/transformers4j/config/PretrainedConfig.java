package io.transformers4j.config;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.weights.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fields every model config shares, bound to {@code config.json}.
 *
 * <p>Port of {@code transformers.PretrainedConfig} (configuration_utils.py). Subclasses add their own fields with
 * {@code @JsonProperty("snake_name")} and Python's defaults as field initialisers. Keys this class does not know are
 * kept in {@link #extra()} and written back by {@link #saveJson}, so a load/save round trip loses nothing.
 *
 * <p>Configs are immutable once built: there are no setters. To change a field, use {@link #withOverrides}, which
 * builds a new config from this one's JSON plus the given keys (the way Python's {@code from_pretrained(**kwargs)}
 * does).
 */
@JsonAutoDetect(
        fieldVisibility = JsonAutoDetect.Visibility.ANY,
        getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE,
        setterVisibility = JsonAutoDetect.Visibility.NONE)
@JsonInclude(JsonInclude.Include.ALWAYS)
@JsonPropertyOrder(alphabetic = true)
public class PretrainedConfig {

    /** One mapper for every config: Python writes sorted keys with two-space indentation. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY, true)
            .configure(SerializationFeature.INDENT_OUTPUT, true)
            .configure(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

    /** The version string Python checkpoints carry; we write the version whose semantics we port. */
    public static final String TRANSFORMERS_VERSION = "4.39.0";

    @JsonProperty("model_type") protected String modelType;
    @JsonProperty("architectures") protected List<String> architectures;
    @JsonProperty("_name_or_path") protected String nameOrPath = "";
    @JsonProperty("transformers_version") protected String transformersVersion;
    @JsonProperty("torch_dtype") protected String torchDtype;

    // Labels. num_labels is not stored by Python; it is derived from id2label.
    @JsonProperty("id2label") protected Map<String, String> id2label;
    @JsonProperty("label2id") protected Map<String, Integer> label2id;
    @JsonProperty("problem_type") protected String problemType;
    @JsonProperty("finetuning_task") protected String finetuningTask;

    // Special tokens. eos_token_id may be one id or a list of ids (Llama 3, Whisper).
    @JsonProperty("bos_token_id") protected Integer bosTokenId;
    @JsonProperty("eos_token_id") protected JsonNode eosTokenId;
    @JsonProperty("pad_token_id") protected Integer padTokenId;
    @JsonProperty("sep_token_id") protected Integer sepTokenId;
    @JsonProperty("decoder_start_token_id") protected Integer decoderStartTokenId;

    // Architecture switches shared by every model.
    @JsonProperty("tie_word_embeddings") protected boolean tieWordEmbeddings = true;
    @JsonProperty("tie_encoder_decoder") protected boolean tieEncoderDecoder = false;
    @JsonProperty("is_encoder_decoder") protected boolean isEncoderDecoder = false;
    @JsonProperty("is_decoder") protected boolean isDecoder = false;
    @JsonProperty("add_cross_attention") protected boolean addCrossAttention = false;
    @JsonProperty("chunk_size_feed_forward") protected int chunkSizeFeedForward = 0;
    @JsonProperty("pruned_heads") protected Map<String, List<Integer>> prunedHeads = new LinkedHashMap<>();

    // Output switches (defaults of forward()).
    @JsonProperty("output_hidden_states") protected boolean outputHiddenStates = false;
    @JsonProperty("output_attentions") protected boolean outputAttentions = false;
    @JsonProperty("return_dict") protected boolean returnDict = true;

    @JsonProperty("task_specific_params") protected Map<String, Object> taskSpecificParams;
    @JsonProperty("prefix") protected String prefix;

    @JsonIgnore private final Map<String, Object> extra = new TreeMap<>();

    protected PretrainedConfig() {}

    @JsonAnySetter
    private void putExtra(String key, Object value) {
        extra.put(key, value);
    }

    @JsonAnyGetter
    private Map<String, Object> anyGetter() {
        return extra;
    }

    /**
     * Python's {@code __init__} fill-in logic, run once after Jackson has set the fields. Subclasses that override it
     * call {@code super.postInit()} first.
     */
    protected void postInit() {
        // Python: num_labels defaults to 2 -> id2label {0: LABEL_0, 1: LABEL_1} unless id2label is given.
        if (id2label == null || id2label.isEmpty()) {
            int n = extra.containsKey("num_labels") ? ((Number) extra.remove("num_labels")).intValue() : 2;
            id2label = defaultLabels(n);
        } else {
            extra.remove("num_labels");
            // JSON keys are strings; keep them sorted by numeric id like Python's int-keyed dict.
            Map<String, String> sorted = new TreeMap<>((a, b) -> Integer.compare(Integer.parseInt(a), Integer.parseInt(b)));
            sorted.putAll(id2label);
            id2label = new LinkedHashMap<>(sorted);
        }
        if (label2id == null || label2id.isEmpty()) {
            label2id = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : id2label.entrySet()) {
                label2id.put(e.getValue(), Integer.parseInt(e.getKey()));
            }
        }
        if (problemType != null
                && !List.of("regression", "single_label_classification", "multi_label_classification").contains(problemType)) {
            throw new IllegalArgumentException("The config parameter `problem_type` was not understood: received "
                    + problemType + " but only 'regression', 'single_label_classification' and "
                    + "'multi_label_classification' are valid.");
        }
    }

    private static Map<String, String> defaultLabels(int n) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            m.put(Integer.toString(i), "LABEL_" + i);
        }
        return m;
    }

    // ---------------------------------------------------------------- loading and saving

    /** Reads {@code config.json} (or any JSON file) into the given config class. */
    public static <C extends PretrainedConfig> C fromJsonFile(Path file, Class<C> type) throws IOException {
        JsonNode node;
        try {
            node = MAPPER.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new NoSuchFileException(file.toString(), null, "config.json not found: a model folder needs one");
        } catch (IOException e) {
            throw new IOException("Cannot parse " + file + " as JSON: " + e.getMessage(), e);
        }
        if (!(node instanceof ObjectNode)) {
            throw new IOException(file + " does not hold a JSON object");
        }
        return fromJson((ObjectNode) node, type, file.toString());
    }

    /** Builds a config of the given class from a JSON object (e.g. a parsed config.json). */
    public static <C extends PretrainedConfig> C fromJson(ObjectNode json, Class<C> type, String source) {
        try {
            C config = MAPPER.treeToValue(json, type);
            ((PretrainedConfig) config).postInit();
            return config;
        } catch (IOException e) {
            throw new IllegalArgumentException("Invalid config " + source + ": " + e.getMessage(), e);
        }
    }

    /** Builds a config of the given class from key/value pairs named as in config.json (snake_case). */
    public static <C extends PretrainedConfig> C fromMap(Map<String, ?> values, Class<C> type) {
        return fromJson(MAPPER.valueToTree(values), type, "map " + values.keySet());
    }

    /** A copy of this config with the given config.json keys replaced, like {@code from_pretrained(..., **kwargs)}. */
    @SuppressWarnings("unchecked")
    public <C extends PretrainedConfig> C withOverrides(Map<String, ?> overrides) {
        ObjectNode json = toJson();
        json.setAll((ObjectNode) MAPPER.valueToTree(overrides));
        if (overrides.containsKey("num_labels")) {
            json.remove("id2label");
            json.remove("label2id");
        }
        return (C) fromJson(json, getClass(), "overrides " + overrides.keySet());
    }

    /** This config as config.json's JSON object (every field, plus the unknown keys that were loaded). */
    public ObjectNode toJson() {
        ObjectNode node = MAPPER.valueToTree(this);
        return sortKeys(node);
    }

    private static ObjectNode sortKeys(ObjectNode node) {
        ObjectNode sorted = MAPPER.createObjectNode();
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        Collections.sort(names);
        for (String n : names) {
            sorted.set(n, node.get(n));
        }
        return sorted;
    }

    /** Writes {@code config.json} into {@code dir} (atomically: a temporary file moved into place). */
    public void saveJson(Path dir) throws IOException {
        Files.createDirectories(dir);
        ObjectNode json = toJson();
        json.put("transformers_version", TRANSFORMERS_VERSION);
        AtomicFiles.writeString(dir.resolve("config.json"),
                MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
    }

    /** Returns the config.json text. */
    public String toJsonString() {
        try {
            return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(toJson());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + " " + toJsonString();
    }

    /** A copy with architectures / torch_dtype set, as save_pretrained records them. */
    public <C extends PretrainedConfig> C forSaving(List<String> architectures, String torchDtype) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("architectures", architectures);
        o.put("torch_dtype", torchDtype);
        return withOverrides(o);
    }

    // ---------------------------------------------------------------- accessors

    public String modelType() { return modelType; }
    public List<String> architectures() { return architectures == null ? List.of() : List.copyOf(architectures); }
    public String nameOrPath() { return nameOrPath; }
    public String transformersVersion() { return transformersVersion; }
    public String torchDtype() { return torchDtype; }
    public int numLabels() { return id2label.size(); }
    /** id -> label, in id order. */
    public Map<Integer, String> id2label() {
        Map<Integer, String> m = new LinkedHashMap<>();
        id2label.forEach((k, v) -> m.put(Integer.parseInt(k), v));
        return m;
    }
    public Map<String, Integer> label2id() { return Collections.unmodifiableMap(label2id); }
    public String problemType() { return problemType; }
    public String finetuningTask() { return finetuningTask; }
    public Integer bosTokenId() { return bosTokenId; }
    /** The first eos id, or null; see {@link #eosTokenIds()} for configs that list several. */
    public Integer eosTokenId() {
        List<Integer> ids = eosTokenIds();
        return ids.isEmpty() ? null : ids.get(0);
    }
    /** Every eos id ({@code eos_token_id} may be one id or a list). */
    public List<Integer> eosTokenIds() {
        List<Integer> ids = new ArrayList<>();
        if (eosTokenId == null || eosTokenId.isNull()) {
            return ids;
        }
        if (eosTokenId.isArray()) {
            eosTokenId.forEach(n -> ids.add(n.asInt()));
        } else {
            ids.add(eosTokenId.asInt());
        }
        return ids;
    }
    public Integer padTokenId() { return padTokenId; }
    public Integer sepTokenId() { return sepTokenId; }
    public Integer decoderStartTokenId() { return decoderStartTokenId; }
    public boolean tieWordEmbeddings() { return tieWordEmbeddings; }
    public boolean tieEncoderDecoder() { return tieEncoderDecoder; }
    public boolean isEncoderDecoder() { return isEncoderDecoder; }
    public boolean isDecoder() { return isDecoder; }
    public boolean addCrossAttention() { return addCrossAttention; }
    public int chunkSizeFeedForward() { return chunkSizeFeedForward; }
    public boolean outputHiddenStates() { return outputHiddenStates; }
    public boolean outputAttentions() { return outputAttentions; }
    public boolean returnDict() { return returnDict; }
    public Map<String, Object> taskSpecificParams() { return taskSpecificParams; }
    /** The std of normal initialisation for weights a checkpoint lacks (configs with initializer_range override). */
    public float initializerRange() { return 0.02f; }
    /** Keys of config.json this class has no field for, kept for saving. */
    public Map<String, Object> extra() { return Collections.unmodifiableMap(extra); }
    /** An unknown key's value, or the default. */
    public Object extra(String key, Object defaultValue) { return extra.getOrDefault(key, defaultValue); }
}
