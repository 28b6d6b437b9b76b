package io.transformers4j.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.weights.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every parameter of a {@code generate()} call. Port of Python's {@code GenerationConfig} (configuration_utils.py):
 * the same attribute names and defaults, loaded from {@code generation_config.json} (or derived from the model's
 * config.json like Python), written back as a diff against the defaults, and validated with Python's messages
 * (errors throw {@link IllegalArgumentException}, Python's UserWarnings are logged and kept in {@link #warnings()}).
 *
 * <p>Immutable: {@link #with}, {@link #update} and {@link #toBuilder} return new instances. Keys Python does not
 * define (Whisper's {@code no_timestamps_token_id}, {@code lang_to_id}, ...) are kept, as Python keeps them as
 * attributes; read them with {@link #get(String)}. Token-id fields that Python allows as "int or list"
 * ({@code eos_token_id}, {@code forced_eos_token_id}, {@code decoder_start_token_id}) keep their form.
 */
public final class GenerationConfig {
    private static final Logger LOG = LoggerFactory.getLogger(GenerationConfig.class);
    static final ObjectMapper MAPPER = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    public static final String GENERATION_CONFIG_NAME = "generation_config.json";

    /** Keys Python treats as metadata (ignored when comparing configs). */
    public static final Set<String> METADATA_FIELDS =
            Set.of("_from_model_config", "_commit_hash", "_original_object_hash", "transformers_version");

    private static final List<String> GENERATE_ARGUMENTS = List.of("logits_processor", "stopping_criteria",
            "prefix_allowed_tokens_fn", "synced_gpus", "assistant_model", "streamer", "negative_prompt_ids",
            "negative_prompt_attention_mask");

    /** Python's attributes and defaults, in {@code __init__} order. */
    private static final ObjectNode DEFAULTS = F.objectNode();

    static {
        DEFAULTS.put("max_length", 20);
        DEFAULTS.putNull("max_new_tokens");
        DEFAULTS.put("min_length", 0);
        DEFAULTS.putNull("min_new_tokens");
        DEFAULTS.put("early_stopping", false);
        DEFAULTS.putNull("max_time");
        DEFAULTS.put("do_sample", false);
        DEFAULTS.put("num_beams", 1);
        DEFAULTS.put("num_beam_groups", 1);
        DEFAULTS.putNull("penalty_alpha");
        DEFAULTS.put("use_cache", true);
        DEFAULTS.put("temperature", 1.0);
        DEFAULTS.put("top_k", 50);
        DEFAULTS.put("top_p", 1.0);
        DEFAULTS.put("typical_p", 1.0);
        DEFAULTS.put("epsilon_cutoff", 0.0);
        DEFAULTS.put("eta_cutoff", 0.0);
        DEFAULTS.put("diversity_penalty", 0.0);
        DEFAULTS.put("repetition_penalty", 1.0);
        DEFAULTS.put("encoder_repetition_penalty", 1.0);
        DEFAULTS.put("length_penalty", 1.0);
        DEFAULTS.put("no_repeat_ngram_size", 0);
        DEFAULTS.putNull("bad_words_ids");
        DEFAULTS.putNull("force_words_ids");
        DEFAULTS.put("renormalize_logits", false);
        DEFAULTS.putNull("constraints");
        DEFAULTS.putNull("forced_bos_token_id");
        DEFAULTS.putNull("forced_eos_token_id");
        DEFAULTS.put("remove_invalid_values", false);
        DEFAULTS.putNull("exponential_decay_length_penalty");
        DEFAULTS.putNull("suppress_tokens");
        DEFAULTS.putNull("begin_suppress_tokens");
        DEFAULTS.putNull("forced_decoder_ids");
        DEFAULTS.putNull("sequence_bias");
        DEFAULTS.putNull("guidance_scale");
        DEFAULTS.putNull("low_memory");
        DEFAULTS.put("num_return_sequences", 1);
        DEFAULTS.put("output_attentions", false);
        DEFAULTS.put("output_hidden_states", false);
        DEFAULTS.put("output_scores", false);
        DEFAULTS.putNull("output_logits");
        DEFAULTS.put("return_dict_in_generate", false);
        DEFAULTS.putNull("pad_token_id");
        DEFAULTS.putNull("bos_token_id");
        DEFAULTS.putNull("eos_token_id");
        DEFAULTS.put("encoder_no_repeat_ngram_size", 0);
        DEFAULTS.putNull("decoder_start_token_id");
        DEFAULTS.put("num_assistant_tokens", 5);
        DEFAULTS.put("num_assistant_tokens_schedule", "heuristic");
        DEFAULTS.putNull("cache_implementation");
        DEFAULTS.putNull("prompt_lookup_num_tokens");
        DEFAULTS.putNull("max_matching_ngram_size");
        DEFAULTS.set("generation_kwargs", F.objectNode());
        DEFAULTS.put("_from_model_config", false);
        DEFAULTS.put("transformers_version", PretrainedConfig.TRANSFORMERS_VERSION);
    }

    private final ObjectNode json;
    private final List<Constraint> constraints;
    private final List<String> warnings;

    private GenerationConfig(ObjectNode json, List<Constraint> constraints, boolean isInit) {
        this(json, constraints, isInit, true);
    }

    private GenerationConfig(ObjectNode json, List<Constraint> constraints, boolean isInit, boolean logWarnings) {
        this.json = json;
        this.constraints = constraints == null ? null : List.copyOf(constraints);
        this.warnings = Collections.unmodifiableList(validate(isInit));
        if (logWarnings) {
            for (String w : warnings) {
                LOG.warn(w);
            }
        }
    }

    // ---------------------------------------------------------------- construction

    /** The defaults ({@code GenerationConfig()} in Python). */
    public static GenerationConfig defaults() {
        return new GenerationConfig(DEFAULTS.deepCopy(), null, true);
    }

    /** From a JSON object (Python's {@code GenerationConfig(**config_dict)}). */
    public static GenerationConfig fromJson(ObjectNode values) {
        return fromJson(values, null);
    }

    static GenerationConfig fromJson(ObjectNode values, List<Constraint> constraints) {
        ObjectNode json = DEFAULTS.deepCopy();
        boolean fromModelConfig = values.path("_from_model_config").asBoolean(false);
        for (Iterator<Map.Entry<String, JsonNode>> it = values.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (k.equals("_commit_hash") || k.equals("_original_object_hash")) {
                continue;
            }
            // Python only copies unknown keys when the config does not come from a model config.
            if (DEFAULTS.has(k) || !fromModelConfig) {
                json.set(k, e.getValue() == null ? NullNode.getInstance() : e.getValue().deepCopy());
            }
        }
        return new GenerationConfig(json, constraints, true);
    }

    /** From key/value pairs named as in Python (snake_case), e.g. {@code Map.of("max_new_tokens", 5)}. */
    public static GenerationConfig fromMap(Map<String, ?> values) {
        List<Constraint> constraints = null;
        Map<String, Object> plain = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : values.entrySet()) {
            if (e.getKey().equals("constraints") && e.getValue() instanceof List<?> l) {
                constraints = toConstraints(l);
            } else {
                plain.put(e.getKey(), e.getValue());
            }
        }
        return fromJson(toJsonObject(plain), constraints);
    }

    /** Reads {@code dir/generation_config.json} (Python's {@code GenerationConfig.from_pretrained(dir)}). */
    public static GenerationConfig fromPretrained(Path dir) throws IOException {
        return fromPretrained(dir, GENERATION_CONFIG_NAME);
    }

    public static GenerationConfig fromPretrained(Path dir, String configFileName) throws IOException {
        Path file = Files.isDirectory(dir) ? dir.resolve(configFileName) : dir;
        JsonNode node;
        try {
            node = MAPPER.readTree(file.toFile());
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            throw new NoSuchFileException(file.toString(), null, configFileName + " not found");
        } catch (IOException e) {
            throw new IOException("It looks like the config file at '" + file + "' is not a valid JSON file.", e);
        }
        if (node == null || !node.isObject()) {
            throw new IOException("It looks like the config file at '" + file + "' is not a valid JSON file.");
        }
        return fromJson((ObjectNode) node);
    }

    /**
     * Python's {@code GenerationConfig.from_model_config}: the generation attributes of the model's config.json
     * (values of a nested {@code decoder}, {@code generator} or {@code text_config} fill those still at default).
     */
    public static GenerationConfig fromModelConfig(PretrainedConfig modelConfig) {
        return fromModelConfig(modelConfig.toJson());
    }

    public static GenerationConfig fromModelConfig(ObjectNode modelConfigJson) {
        ObjectNode dict = modelConfigJson.deepCopy();
        dict.remove("_from_model_config");
        dict.put("_from_model_config", true);
        GenerationConfig config = fromJson(dict);
        ObjectNode json = config.json.deepCopy();
        boolean changed = false;
        for (String decoderName : List.of("decoder", "generator", "text_config")) {
            JsonNode decoder = modelConfigJson.get(decoderName);
            if (decoder != null && decoder.isObject()) {
                for (Iterator<String> it = config.json.fieldNames(); it.hasNext(); ) {
                    String attr = it.next();
                    if (decoder.has(attr) && pyEquals(json.get(attr), DEFAULTS.get(attr))) {
                        json.set(attr, decoder.get(attr).deepCopy());
                        changed = true;
                    }
                }
            }
        }
        return changed ? new GenerationConfig(json, null, false) : config;
    }

    /**
     * What a model uses when it is loaded from {@code dir}: generation_config.json when the folder has one,
     * otherwise the config derived from the model config (Python's behaviour in {@code from_pretrained}).
     */
    public static GenerationConfig forModel(Path dir, PretrainedConfig modelConfig) throws IOException {
        if (Files.isRegularFile(dir.resolve(GENERATION_CONFIG_NAME))) {
            return fromPretrained(dir);
        }
        LOG.info("Generation config file not found, using a generation config created from the model config.");
        return fromModelConfig(modelConfig);
    }

    /**
     * What a model loaded from {@code files} uses: their generation_config.json when there is one (fetched like the
     * other files), otherwise the config derived from the model config. Python's {@code from_pretrained} does this for
     * every model that can generate.
     */
    public static GenerationConfig forModel(io.transformers4j.hub.ModelFiles files, PretrainedConfig modelConfig)
            throws IOException {
        java.util.Optional<Path> file = files.file(GENERATION_CONFIG_NAME);
        if (file.isPresent()) {
            return fromPretrained(file.get());
        }
        LOG.info("Generation config file not found, using a generation config created from the model config.");
        return fromModelConfig(modelConfig);
    }

    // ---------------------------------------------------------------- copies

    /** A copy with one attribute replaced (validated like Python's {@code update}). */
    public GenerationConfig with(String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(key, value);
        return update(m).config();
    }

    /** The result of {@link #update}: the new config and the kwargs that are not generation attributes. */
    public record Update(GenerationConfig config, Map<String, Object> unusedKwargs) {}

    /**
     * Python's {@code update(**kwargs)}: sets the attributes this config has (defaults, loaded keys and extras),
     * validates, and returns the keys it did not use (generate() passes those to the model).
     */
    public Update update(Map<String, ?> kwargs) {
        ObjectNode copy = json.deepCopy();
        List<Constraint> cons = constraints;
        Map<String, Object> unused = new LinkedHashMap<>();
        for (Map.Entry<String, ?> e : kwargs.entrySet()) {
            String k = e.getKey();
            if (k.equals("constraints")) {
                cons = e.getValue() == null ? null : toConstraints((List<?>) e.getValue());
            } else if (copy.has(k)) {
                copy.set(k, toJson(e.getValue()));
            } else {
                unused.put(k, e.getValue());
            }
        }
        return new Update(new GenerationConfig(copy, cons, false), unused);
    }

    /**
     * generate()'s own adjustments (Python assigns {@code pad_token_id}, {@code max_length}, {@code min_length} on its
     * copy of the config): validated, but the warnings the caller's config already logged are not logged again.
     */
    GenerationConfig withAdjusted(String key, Object value) {
        ObjectNode copy = json.deepCopy();
        copy.set(key, toJson(value));
        return new GenerationConfig(copy, constraints, false, false);
    }

    public Builder toBuilder() {
        return new Builder(json.deepCopy(), constraints);
    }

    public static Builder builder() {
        return new Builder(DEFAULTS.deepCopy(), null);
    }

    /** Builds a config attribute by attribute; {@link #build()} validates (as Python's constructor does). */
    public static final class Builder {
        private final ObjectNode json;
        private List<Constraint> constraints;

        private Builder(ObjectNode json, List<Constraint> constraints) {
            this.json = json;
            this.constraints = constraints;
        }

        /** Sets any attribute by its Python name (unknown names become extra attributes, as in Python). */
        public Builder set(String key, Object value) {
            if (key.equals("constraints")) {
                constraints = value == null ? null : toConstraints((List<?>) value);
            } else {
                json.set(key, toJson(value));
            }
            return this;
        }

        public Builder maxLength(Integer v) { return set("max_length", v); }
        public Builder maxNewTokens(Integer v) { return set("max_new_tokens", v); }
        public Builder minLength(Integer v) { return set("min_length", v); }
        public Builder minNewTokens(Integer v) { return set("min_new_tokens", v); }
        public Builder earlyStopping(EarlyStopping v) { json.set("early_stopping", v.toJson()); return this; }
        public Builder maxTime(Double v) { return set("max_time", v); }
        public Builder doSample(boolean v) { return set("do_sample", v); }
        public Builder numBeams(int v) { return set("num_beams", v); }
        public Builder numBeamGroups(int v) { return set("num_beam_groups", v); }
        public Builder penaltyAlpha(Double v) { return set("penalty_alpha", v); }
        public Builder useCache(boolean v) { return set("use_cache", v); }
        public Builder temperature(Double v) { return set("temperature", v); }
        public Builder topK(Integer v) { return set("top_k", v); }
        public Builder topP(Double v) { return set("top_p", v); }
        public Builder typicalP(Double v) { return set("typical_p", v); }
        public Builder epsilonCutoff(Double v) { return set("epsilon_cutoff", v); }
        public Builder etaCutoff(Double v) { return set("eta_cutoff", v); }
        public Builder diversityPenalty(Double v) { return set("diversity_penalty", v); }
        public Builder repetitionPenalty(Double v) { return set("repetition_penalty", v); }
        public Builder encoderRepetitionPenalty(Double v) { return set("encoder_repetition_penalty", v); }
        public Builder lengthPenalty(Double v) { return set("length_penalty", v); }
        public Builder noRepeatNgramSize(Integer v) { return set("no_repeat_ngram_size", v); }
        public Builder encoderNoRepeatNgramSize(Integer v) { return set("encoder_no_repeat_ngram_size", v); }
        public Builder badWordsIds(List<List<Integer>> v) { return set("bad_words_ids", v); }
        public Builder forceWordsIds(List<?> v) { return set("force_words_ids", v); }
        public Builder renormalizeLogits(boolean v) { return set("renormalize_logits", v); }
        public Builder constraints(List<Constraint> v) { constraints = v == null ? null : List.copyOf(v); return this; }
        public Builder forcedBosTokenId(Integer v) { return set("forced_bos_token_id", v); }
        public Builder forcedEosTokenId(Object intOrList) { return set("forced_eos_token_id", intOrList); }
        public Builder removeInvalidValues(boolean v) { return set("remove_invalid_values", v); }
        public Builder exponentialDecayLengthPenalty(int startIndex, double decayFactor) {
            return set("exponential_decay_length_penalty", List.of(startIndex, decayFactor));
        }
        public Builder suppressTokens(List<Integer> v) { return set("suppress_tokens", v); }
        public Builder beginSuppressTokens(List<Integer> v) { return set("begin_suppress_tokens", v); }
        public Builder forcedDecoderIds(List<List<Integer>> v) { return set("forced_decoder_ids", v); }
        /** Written as Python writes a tuple-keyed dict: {@code {"(5, 3)": -4.0}}. */
        public Builder sequenceBias(Map<List<Integer>, ? extends Number> v) {
            if (v == null) {
                return set("sequence_bias", null);
            }
            ObjectNode o = F.objectNode();
            v.forEach((k, b) -> o.put(GenUtil.pyTupleOrRepr(k), b.doubleValue()));
            json.set("sequence_bias", o);
            return this;
        }
        public Builder guidanceScale(Double v) { return set("guidance_scale", v); }
        public Builder lowMemory(Boolean v) { return set("low_memory", v); }
        public Builder numReturnSequences(int v) { return set("num_return_sequences", v); }
        public Builder outputAttentions(boolean v) { return set("output_attentions", v); }
        public Builder outputHiddenStates(boolean v) { return set("output_hidden_states", v); }
        public Builder outputScores(boolean v) { return set("output_scores", v); }
        public Builder outputLogits(Boolean v) { return set("output_logits", v); }
        public Builder returnDictInGenerate(boolean v) { return set("return_dict_in_generate", v); }
        public Builder padTokenId(Integer v) { return set("pad_token_id", v); }
        public Builder bosTokenId(Integer v) { return set("bos_token_id", v); }
        public Builder eosTokenId(Object intOrList) { return set("eos_token_id", intOrList); }
        public Builder decoderStartTokenId(Object intOrList) { return set("decoder_start_token_id", intOrList); }
        public Builder cacheImplementation(String v) { return set("cache_implementation", v); }

        public GenerationConfig build() {
            return new GenerationConfig(json.deepCopy(), constraints, true);
        }
    }

    // ---------------------------------------------------------------- validation

    /**
     * Python's {@code validate(is_init)}: throws for inconsistent settings, returns the UserWarnings (each also
     * logged at construction).
     */
    List<String> validate(boolean isInit) {
        List<String> warns = new ArrayList<>();
        EarlyStopping.fromJson(json.get("early_stopping"));
        Integer maxNew = maxNewTokens();
        if (maxNew != null && maxNew <= 0) {
            throw new IllegalArgumentException("`max_new_tokens` must be greater than 0, but is " + maxNew + ".");
        }
        String fixLocation = isInit
                ? " This was detected when initializing the generation config instance, which means the corresponding "
                        + "file may hold incorrect parameterization and should be fixed."
                : "";

        // 1. sampling-only parameterization when not sampling
        if (!doSample()) {
            String msg = "`do_sample` is set to `False`. However, `%s` is set to `%s` -- this flag is only used in "
                    + "sample-based generation modes. You should set `do_sample=True` or unset `%s`." + fixLocation;
            checkDefault(warns, msg, "temperature", 1.0);
            checkDefault(warns, msg, "top_p", 1.0);
            checkDefault(warns, msg, "typical_p", 1.0);
            if (!isNull("top_k") && json.get("top_k").asDouble() != 50 && isNull("penalty_alpha")) {
                warns.add(String.format(msg, "top_k", pyValue("top_k"), "top_k"));
            }
            checkDefault(warns, msg, "epsilon_cutoff", 0.0);
            checkDefault(warns, msg, "eta_cutoff", 0.0);
        }

        // 2. beam-only parameterization when not in beam mode
        if (isNull("num_beams")) {
            warns.add("`num_beams` is set to None - defaulting to 1.");
            json.put("num_beams", 1);
        }
        if (numBeams() == 1) {
            String msg = "`num_beams` is set to 1. However, `%s` is set to `%s` -- this flag is only used in beam-based "
                    + "generation modes. You should set `num_beams>1` or unset `%s`." + fixLocation;
            if (earlyStopping() != EarlyStopping.FALSE) {
                warns.add(String.format(msg, "early_stopping", earlyStopping(), "early_stopping"));
            }
            checkDefault(warns, msg, "num_beam_groups", 1.0);
            checkDefault(warns, msg, "diversity_penalty", 0.0);
            checkDefault(warns, msg, "length_penalty", 1.0);
            if (constraints != null) {
                warns.add(String.format(msg, "constraints", constraints, "constraints"));
            }
        } else {
            // 3. advanced beam modes
            if (constraints != null || !isNull("force_words_ids")) {
                String msg = "one of `constraints`, `force_words_ids` is not `None`, triggering constrained beam search. "
                        + "However, `%s` is set to `%s`, which is incompatible with this generation mode. Set "
                        + "`constraints` and `force_words_ids` to `None` or unset `%s` to continue." + fixLocation;
                if (doSample()) {
                    throw new IllegalArgumentException(String.format(msg, "do_sample", "True", "do_sample"));
                }
                if (!isNull("num_beam_groups") && numBeamGroups() != 1) {
                    throw new IllegalArgumentException(String.format(msg, "num_beam_groups", numBeamGroups(),
                            "num_beam_groups"));
                }
            }
            double div = diversityPenalty() == null ? 0.0 : diversityPenalty();
            if (div != 0.0 || numBeamGroups() != 1) {
                String prefix = "`diversity_penalty` is not 0.0 or `num_beam_groups` is not 1, triggering group beam "
                        + "search. In this generation mode, ";
                if (doSample()) {
                    throw new IllegalArgumentException(prefix + "`do_sample` must be set to `False`");
                }
                if (numBeams() % numBeamGroups() != 0) {
                    throw new IllegalArgumentException(prefix + "`num_beams` should be divisible by `num_beam_groups`");
                }
                if (div == 0.0) {
                    throw new IllegalArgumentException(prefix + "`diversity_penalty` should be greater than `0.0`, "
                            + "otherwise your groups will be identical.");
                }
            }
        }

        // 4. num_return_sequences
        if (numReturnSequences() != 1) {
            if (numBeams() == 1) {
                if (!doSample()) {
                    throw new IllegalArgumentException("Greedy methods without beam search do not support "
                            + "`num_return_sequences` different than 1 (got " + numReturnSequences() + ").");
                }
            } else if (numReturnSequences() > numBeams()) {
                throw new IllegalArgumentException("`num_return_sequences` (" + numReturnSequences() + ") has to be "
                        + "smaller or equal to `num_beams` (" + numBeams() + ").");
            }
        }

        // 5. generate() arguments passed inside the config
        for (String arg : GENERATE_ARGUMENTS) {
            if (json.has(arg)) {
                throw new IllegalArgumentException("Argument `" + arg + "` is not a valid argument of `GenerationConfig`. "
                        + "It should be passed to `generate()` (or a pipeline) directly.");
            }
        }
        return warns;
    }

    private void checkDefault(List<String> warns, String msg, String key, double def) {
        if (!isNull(key) && json.get(key).asDouble() != def) {
            warns.add(String.format(msg, key, pyValue(key), key));
        }
    }

    private String pyValue(String key) {
        JsonNode n = json.get(key);
        if (n.isFloatingPointNumber()) {
            return GenUtil.pyFloat(n.asDouble());
        }
        if (n.isBoolean()) {
            return n.asBoolean() ? "True" : "False";
        }
        return n.isTextual() ? n.asText() : n.toString();
    }

    /** The UserWarnings Python's validation issued for this config. */
    public List<String> warnings() {
        return warnings;
    }

    /** Python's {@code get_generation_mode(assistant_model)}; {@code assisted} = an assistant model is given. */
    public GenerationMode generationMode(boolean assisted) {
        GenerationMode mode;
        if (constraints != null || !isNull("force_words_ids")) {
            mode = GenerationMode.CONSTRAINED_BEAM_SEARCH;
        } else if (numBeams() == 1) {
            if (!doSample()) {
                Integer k = topK();
                Double alpha = penaltyAlpha();
                mode = (k != null && k > 1 && alpha != null && alpha > 0) ? GenerationMode.CONTRASTIVE_SEARCH
                        : GenerationMode.GREEDY_SEARCH;
            } else {
                mode = GenerationMode.SAMPLE;
            }
        } else if (numBeamGroups() > 1) {
            mode = GenerationMode.GROUP_BEAM_SEARCH;
        } else if (doSample()) {
            mode = GenerationMode.BEAM_SAMPLE;
        } else {
            mode = GenerationMode.BEAM_SEARCH;
        }
        if (assisted || promptLookupNumTokens() != null) {
            if (mode == GenerationMode.GREEDY_SEARCH || mode == GenerationMode.SAMPLE) {
                mode = GenerationMode.ASSISTED_GENERATION;
            } else {
                throw new IllegalArgumentException("You've set `assistant_model`, which triggers assisted generate. "
                        + "Currently, assisted generate is only supported with Greedy Search and Sample.");
            }
        }
        return mode;
    }

    public GenerationMode generationMode() {
        return generationMode(false);
    }

    // ---------------------------------------------------------------- saving

    /** Every attribute (Python's {@code to_dict()}), extras included. */
    public ObjectNode toDict() {
        ObjectNode out = json.deepCopy();
        out.put("transformers_version", PretrainedConfig.TRANSFORMERS_VERSION);
        return out;
    }

    /** Only the attributes that differ from the defaults, plus transformers_version (Python's {@code to_diff_dict}). */
    public ObjectNode toDiffDict() {
        ObjectNode all = toDict();
        ObjectNode out = F.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (!DEFAULTS.has(k) || k.equals("transformers_version") || !pyEquals(e.getValue(), DEFAULTS.get(k))) {
                out.set(k, e.getValue());
            }
        }
        return out;
    }

    /** Python's {@code to_json_string(use_diff)}: sorted keys, two-space indentation, trailing newline. */
    public String toJsonString(boolean useDiff) {
        return PyJson.dumps(useDiff ? toDiffDict() : toDict(), true) + "\n";
    }

    /**
     * Writes {@code dir/generation_config.json}. As in Python, a config whose validation warns or fails is refused.
     */
    public void savePretrained(Path dir) throws IOException {
        List<String> problems = new ArrayList<>();
        try {
            problems.addAll(validate(false));
        } catch (IllegalArgumentException e) {
            problems.add(e.getMessage());
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("The generation config instance is invalid -- `.validate()` throws "
                    + "warnings and/or exceptions. Fix these issues to save the configuration.\n\nThrown during "
                    + "validation:\n" + problems);
        }
        if (Files.isRegularFile(dir)) {
            throw new IOException("Provided path (" + dir + ") should be a directory, not a file");
        }
        Files.createDirectories(dir);
        AtomicFiles.writeString(dir.resolve(GENERATION_CONFIG_NAME), toJsonString(true));
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GenerationConfig other)) {
            return false;
        }
        ObjectNode a = toDict();
        ObjectNode b = other.toDict();
        METADATA_FIELDS.forEach(a::remove);
        METADATA_FIELDS.forEach(b::remove);
        return pyEquals(a, b) && java.util.Objects.equals(constraints, other.constraints);
    }

    @Override
    public int hashCode() {
        ObjectNode a = toDiffDict();
        METADATA_FIELDS.forEach(a::remove);
        return PyJson.dumps(a, true).hashCode();
    }

    @Override
    public String toString() {
        ObjectNode a = toDiffDict();
        METADATA_FIELDS.forEach(a::remove);
        return "GenerationConfig " + PyJson.dumps(a, true) + "\n";
    }

    // ---------------------------------------------------------------- accessors (Python attribute names in camelCase)

    public Integer maxLength() { return intOrNull("max_length"); }
    public Integer maxNewTokens() { return intOrNull("max_new_tokens"); }
    public Integer minLength() { return intOrNull("min_length"); }
    public Integer minNewTokens() { return intOrNull("min_new_tokens"); }
    public EarlyStopping earlyStopping() { return EarlyStopping.fromJson(json.get("early_stopping")); }
    public Double maxTime() { return doubleOrNull("max_time"); }
    public boolean doSample() { return json.path("do_sample").asBoolean(false); }
    public int numBeams() { return isNull("num_beams") ? 1 : json.get("num_beams").asInt(); }
    public int numBeamGroups() { return isNull("num_beam_groups") ? 1 : json.get("num_beam_groups").asInt(); }
    public Double penaltyAlpha() { return doubleOrNull("penalty_alpha"); }
    public boolean useCache() { return json.path("use_cache").asBoolean(true); }
    public Double temperature() { return doubleOrNull("temperature"); }
    public Integer topK() { return intOrNull("top_k"); }
    public Double topP() { return doubleOrNull("top_p"); }
    public Double typicalP() { return doubleOrNull("typical_p"); }
    public Double epsilonCutoff() { return doubleOrNull("epsilon_cutoff"); }
    public Double etaCutoff() { return doubleOrNull("eta_cutoff"); }
    public Double diversityPenalty() { return doubleOrNull("diversity_penalty"); }
    public Double repetitionPenalty() { return doubleOrNull("repetition_penalty"); }
    public Double encoderRepetitionPenalty() { return doubleOrNull("encoder_repetition_penalty"); }
    public Double lengthPenalty() { return doubleOrNull("length_penalty"); }
    public Integer noRepeatNgramSize() { return intOrNull("no_repeat_ngram_size"); }
    public List<List<Integer>> badWordsIds() { return nestedInts("bad_words_ids"); }
    /** {@code List[List[int]]} (phrases) or {@code List[List[List[int]]]} (disjunctive alternatives), as JSON. */
    public JsonNode forceWordsIds() { return isNull("force_words_ids") ? null : json.get("force_words_ids").deepCopy(); }
    public boolean renormalizeLogits() { return json.path("renormalize_logits").asBoolean(false); }
    public List<Constraint> constraints() { return constraints; }
    public Integer forcedBosTokenId() { return intOrNull("forced_bos_token_id"); }
    public List<Integer> forcedEosTokenId() { return intOrList("forced_eos_token_id"); }
    public boolean removeInvalidValues() { return json.path("remove_invalid_values").asBoolean(false); }
    public ExponentialDecayLengthPenalty.Penalty exponentialDecayLengthPenalty() {
        if (isNull("exponential_decay_length_penalty")) {
            return null;
        }
        JsonNode n = json.get("exponential_decay_length_penalty");
        if (!n.isArray() || n.size() != 2) {
            throw new IllegalArgumentException("`exponential_decay_length_penalty` must be (start_index, decay_factor), "
                    + "got " + n);
        }
        return new ExponentialDecayLengthPenalty.Penalty(n.get(0).asInt(), n.get(1).asDouble());
    }
    public List<Integer> suppressTokens() { return ints("suppress_tokens"); }
    public List<Integer> beginSuppressTokens() { return ints("begin_suppress_tokens"); }
    public List<List<Integer>> forcedDecoderIds() { return nestedInts("forced_decoder_ids"); }
    /**
     * {@code sequence_bias} as an ordered map; read from Python's JSON form ({@code {"(5, 3)": -4.0}}) or from a list
     * of {@code [[ids...], bias]} pairs.
     */
    public Map<List<Integer>, Double> sequenceBias() {
        if (isNull("sequence_bias")) {
            return null;
        }
        return parseSequenceBias(json.get("sequence_bias"));
    }
    public Double guidanceScale() { return doubleOrNull("guidance_scale"); }
    public Boolean lowMemory() { return isNull("low_memory") ? null : json.get("low_memory").asBoolean(); }
    public int numReturnSequences() { return isNull("num_return_sequences") ? 1 : json.get("num_return_sequences").asInt(); }
    public boolean outputAttentions() { return json.path("output_attentions").asBoolean(false); }
    public boolean outputHiddenStates() { return json.path("output_hidden_states").asBoolean(false); }
    public boolean outputScores() { return json.path("output_scores").asBoolean(false); }
    public Boolean outputLogits() { return isNull("output_logits") ? null : json.get("output_logits").asBoolean(); }
    public boolean returnDictInGenerate() { return json.path("return_dict_in_generate").asBoolean(false); }
    public Integer padTokenId() { return intOrNull("pad_token_id"); }
    public Integer bosTokenId() { return intOrNull("bos_token_id"); }
    /** The EOS id(s), or null; a single id is a one-element list (see {@link #eosTokenIdIsList()}). */
    public List<Integer> eosTokenId() { return intOrList("eos_token_id"); }
    /** Whether eos_token_id was given as a list (Python's {@code isinstance(eos_token_id, list)}). */
    public boolean eosTokenIdIsList() { return json.path("eos_token_id").isArray(); }
    public Integer encoderNoRepeatNgramSize() { return intOrNull("encoder_no_repeat_ngram_size"); }
    public List<Integer> decoderStartTokenId() { return intOrList("decoder_start_token_id"); }
    public boolean decoderStartTokenIdIsList() { return json.path("decoder_start_token_id").isArray(); }
    public int numAssistantTokens() { return json.path("num_assistant_tokens").asInt(5); }
    public String numAssistantTokensSchedule() { return json.path("num_assistant_tokens_schedule").asText("heuristic"); }
    public String cacheImplementation() { return isNull("cache_implementation") ? null : json.get("cache_implementation").asText(); }
    public Integer promptLookupNumTokens() { return intOrNull("prompt_lookup_num_tokens"); }
    public Integer maxMatchingNgramSize() { return intOrNull("max_matching_ngram_size"); }
    public ObjectNode generationKwargs() { return json.path("generation_kwargs").isObject() ? (ObjectNode) json.get("generation_kwargs").deepCopy() : F.objectNode(); }
    public boolean fromModelConfig() { return json.path("_from_model_config").asBoolean(false); }
    public String transformersVersion() { return json.path("transformers_version").asText(null); }

    /** Any attribute by its Python name (extras such as Whisper's {@code no_timestamps_token_id} included), or null. */
    public JsonNode get(String key) {
        JsonNode n = json.get(key);
        return n == null ? null : n.deepCopy();
    }

    public boolean has(String key) {
        return json.has(key);
    }

    // ---------------------------------------------------------------- helpers

    private boolean isNull(String key) {
        JsonNode n = json.get(key);
        return n == null || n.isNull();
    }

    private Integer intOrNull(String key) {
        if (isNull(key)) {
            return null;
        }
        JsonNode n = json.get(key);
        if (!n.isNumber()) {
            throw new IllegalArgumentException("`" + key + "` must be an integer, but is " + n);
        }
        return n.asInt();
    }

    private Double doubleOrNull(String key) {
        if (isNull(key)) {
            return null;
        }
        JsonNode n = json.get(key);
        if (!n.isNumber()) {
            throw new IllegalArgumentException("`" + key + "` must be a number, but is " + n);
        }
        return n.asDouble();
    }

    private List<Integer> intOrList(String key) {
        if (isNull(key)) {
            return null;
        }
        JsonNode n = json.get(key);
        if (n.isNumber()) {
            return List.of(n.asInt());
        }
        return ints(key);
    }

    private List<Integer> ints(String key) {
        if (isNull(key)) {
            return null;
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode x : json.get(key)) {
            if (!x.isIntegralNumber()) {
                throw new IllegalArgumentException("`" + key + "` must be a list of integers, but is " + json.get(key));
            }
            out.add(x.asInt());
        }
        return out;
    }

    private List<List<Integer>> nestedInts(String key) {
        if (isNull(key)) {
            return null;
        }
        return toNestedInts(json.get(key), key);
    }

    static List<List<Integer>> toNestedInts(JsonNode n, String key) {
        List<List<Integer>> out = new ArrayList<>();
        if (!n.isArray()) {
            throw new IllegalArgumentException("`" + key + "` has to be a list of lists, but is " + n);
        }
        for (JsonNode row : n) {
            if (!row.isArray()) {
                throw new IllegalArgumentException("`" + key + "` has to be a list of lists, but is " + n);
            }
            List<Integer> r = new ArrayList<>();
            for (JsonNode x : row) {
                if (!x.isIntegralNumber()) {
                    throw new IllegalArgumentException("Each list in `" + key + "` has to be a list of positive "
                            + "integers, but is " + n + ".");
                }
                r.add(x.asInt());
            }
            out.add(r);
        }
        return out;
    }

    private static final Pattern TUPLE = Pattern.compile("^\\(\\s*([-\\d\\s,]*)\\)$|^\\[\\s*([-\\d\\s,]*)]$");

    static Map<List<Integer>, Double> parseSequenceBias(JsonNode n) {
        Map<List<Integer>, Double> out = new LinkedHashMap<>();
        if (n.isArray()) {
            for (JsonNode pair : n) {
                if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isArray()) {
                    throw new IllegalArgumentException("`sequence_bias` pairs must be [[token ids...], bias], got " + n);
                }
                List<Integer> ids = new ArrayList<>();
                pair.get(0).forEach(x -> ids.add(x.asInt()));
                out.put(ids, pair.get(1).asDouble());
            }
            return out;
        }
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                Matcher m = TUPLE.matcher(e.getKey().trim());
                if (!m.matches()) {
                    throw new IllegalArgumentException("`sequence_bias` key " + e.getKey() + " is not a tuple of token ids");
                }
                String body = m.group(1) != null ? m.group(1) : m.group(2);
                List<Integer> ids = new ArrayList<>();
                for (String part : body.split(",")) {
                    if (!part.isBlank()) {
                        ids.add(Integer.parseInt(part.trim()));
                    }
                }
                out.put(ids, e.getValue().asDouble());
            }
            return out;
        }
        throw new IllegalArgumentException("`sequence_bias` has to be a non-empty dictionary, but is " + n + ".");
    }

    /** Python equality of JSON values: numbers compare by value (1 == 1.0), containers element-wise. */
    static boolean pyEquals(JsonNode a, JsonNode b) {
        if (a == null || a.isNull()) {
            return b == null || b.isNull();
        }
        if (b == null || b.isNull()) {
            return false;
        }
        if (a.isNumber() && b.isNumber()) {
            return a.asDouble() == b.asDouble();
        }
        if (a.isBoolean() && b.isNumber() || a.isNumber() && b.isBoolean()) {
            return (a.isBoolean() ? (a.asBoolean() ? 1 : 0) : a.asDouble())
                    == (b.isBoolean() ? (b.asBoolean() ? 1 : 0) : b.asDouble());
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!pyEquals(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!b.has(k) || !pyEquals(a.get(k), b.get(k))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    static JsonNode toJson(Object value) {
        if (value == null) {
            return NullNode.getInstance();
        }
        if (value instanceof JsonNode n) {
            return n.deepCopy();
        }
        if (value instanceof EarlyStopping e) {
            return e.toJson();
        }
        if (value instanceof ExponentialDecayLengthPenalty.Penalty p) {
            ArrayNode a = F.arrayNode();
            a.add(p.startIndex());
            a.add(p.decayFactor());
            return a;
        }
        if (value instanceof Map<?, ?> m && !m.isEmpty() && m.keySet().iterator().next() instanceof List) {
            ObjectNode o = F.objectNode();
            m.forEach((k, v) -> o.set(GenUtil.pyTupleOrRepr(k), toJson(v)));
            return o;
        }
        return MAPPER.valueToTree(value);
    }

    private static ObjectNode toJsonObject(Map<String, Object> values) {
        ObjectNode o = F.objectNode();
        values.forEach((k, v) -> o.set(k, toJson(v)));
        return o;
    }

    private static List<Constraint> toConstraints(List<?> list) {
        List<Constraint> out = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Constraint c)) {
                throw new IllegalArgumentException("`constraints` must hold Constraint objects, got " + o);
            }
            out.add(c);
        }
        return out;
    }
}
