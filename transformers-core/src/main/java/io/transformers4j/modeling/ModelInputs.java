package io.transformers4j.modeling;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The arguments of a model's {@code forward}, named as in Python ({@code input_ids}, {@code attention_mask}, ...).
 * Each model reads the ones it accepts and rejects the others ({@link #requireOnly}), the way Python's forward
 * signature does.
 *
 * <pre>{@code
 * ModelInputs in = ModelInputs.builder().inputIds(ids).attentionMask(mask).outputHiddenStates(true).build();
 * }</pre>
 *
 * Boolean switches left null take the config's default ({@code config.output_hidden_states}, ...).
 */
public final class ModelInputs {

    private final Map<String, Object> values;

    private ModelInputs(Map<String, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Builds inputs from Python keyword names: tensors as NDArray, switches as Boolean, {@code past_key_values} as a
     * list of {key, value} arrays per layer.
     */
    public static ModelInputs fromMap(Map<String, ?> kwargs) {
        Builder b = new Builder();
        kwargs.forEach(b::set);
        return b.build();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        values.forEach(b::set);
        return b;
    }

    /** Every argument that was given, by Python name. */
    public Map<String, Object> asMap() {
        return values;
    }

    /**
     * The argument names of a model that adds {@code more} to {@code base}'s (a head over its base model: e.g. the
     * base model's names plus "labels"), as an immutable set for {@link #requireOnly}.
     */
    public static Set<String> names(Set<String> base, String... more) {
        Set<String> s = new HashSet<>(base);
        s.addAll(Set.of(more));
        return Set.copyOf(s);
    }

    /** Throws naming the first argument {@code model} does not accept. */
    public void requireOnly(String model, Set<String> accepted) {
        for (String k : values.keySet()) {
            if (!accepted.contains(k)) {
                throw new IllegalArgumentException(model + ".forward() got an unexpected argument '" + k
                        + "' (accepted: " + String.join(", ", new java.util.TreeSet<>(accepted)) + ")");
            }
        }
    }

    public NDArray tensor(String name) {
        Object v = values.get(name);
        if (v != null && !(v instanceof NDArray)) {
            throw new IllegalArgumentException("Argument '" + name + "' must be a tensor, got " + v.getClass().getSimpleName());
        }
        return (NDArray) v;
    }

    public Boolean flag(String name) {
        Object v = values.get(name);
        if (v != null && !(v instanceof Boolean)) {
            throw new IllegalArgumentException("Argument '" + name + "' must be a boolean, got " + v);
        }
        return (Boolean) v;
    }

    /** The switch {@code name}, or {@code dflt} (usually the config's value) when not given. */
    public boolean flag(String name, boolean dflt) {
        Boolean b = flag(name);
        return b == null ? dflt : b;
    }

    public Object get(String name) {
        return values.get(name);
    }

    public boolean has(String name) {
        return values.get(name) != null;
    }

    public NDArray inputIds() { return tensor("input_ids"); }
    public NDArray attentionMask() { return tensor("attention_mask"); }
    public NDArray tokenTypeIds() { return tensor("token_type_ids"); }
    public NDArray positionIds() { return tensor("position_ids"); }
    public NDArray headMask() { return tensor("head_mask"); }
    public NDArray inputsEmbeds() { return tensor("inputs_embeds"); }
    public NDArray labels() { return tensor("labels"); }
    public NDArray encoderHiddenStates() { return tensor("encoder_hidden_states"); }
    public NDArray encoderAttentionMask() { return tensor("encoder_attention_mask"); }
    public NDArray decoderInputIds() { return tensor("decoder_input_ids"); }
    public NDArray decoderAttentionMask() { return tensor("decoder_attention_mask"); }

    /** The legacy cache: per layer {key, value}, each (batch, heads, seq, head_dim); null when not given. */
    @SuppressWarnings("unchecked")
    public List<NDArray[]> pastKeyValues() {
        return (List<NDArray[]>) values.get("past_key_values");
    }

    /** Fluent construction; {@link #set} takes any Python argument name. */
    public static final class Builder {
        private final Map<String, Object> values = new LinkedHashMap<>();

        public Builder set(String pythonName, Object value) {
            if (value == null) {
                values.remove(pythonName);
            } else {
                values.put(pythonName, value);
            }
            return this;
        }

        public Builder inputIds(NDArray v) { return set("input_ids", v); }
        public Builder attentionMask(NDArray v) { return set("attention_mask", v); }
        public Builder tokenTypeIds(NDArray v) { return set("token_type_ids", v); }
        public Builder positionIds(NDArray v) { return set("position_ids", v); }
        public Builder headMask(NDArray v) { return set("head_mask", v); }
        public Builder inputsEmbeds(NDArray v) { return set("inputs_embeds", v); }
        public Builder labels(NDArray v) { return set("labels", v); }
        public Builder encoderHiddenStates(NDArray v) { return set("encoder_hidden_states", v); }
        public Builder encoderAttentionMask(NDArray v) { return set("encoder_attention_mask", v); }
        public Builder decoderInputIds(NDArray v) { return set("decoder_input_ids", v); }
        public Builder decoderAttentionMask(NDArray v) { return set("decoder_attention_mask", v); }
        public Builder pastKeyValues(List<NDArray[]> v) { return set("past_key_values", v); }
        public Builder useCache(boolean v) { return set("use_cache", v); }
        public Builder outputAttentions(boolean v) { return set("output_attentions", v); }
        public Builder outputHiddenStates(boolean v) { return set("output_hidden_states", v); }

        public ModelInputs build() {
            return new ModelInputs(values);
        }
    }
}
