package io.transformers4j.tokenizers;

import io.transformers4j.hub.HubOptions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How {@link AutoTokenizer#fromPretrained} loads: hub settings, {@code kwargs} that override tokenizer_config.json
 * (Python's {@code from_pretrained(..., **kwargs)}: e.g. "language", "task", "legacy", "padding_side",
 * "model_max_length"), and {@code useFast} (prefer tokenizer.json when there is one).
 */
public record TokenizerOptions(HubOptions hub, Map<String, Object> kwargs, boolean useFast) {

    public TokenizerOptions {
        hub = hub == null ? HubOptions.defaults() : hub;
        kwargs = kwargs == null ? Map.of() : Map.copyOf(new LinkedHashMap<>(kwargs));
    }

    public static TokenizerOptions defaults() {
        return new TokenizerOptions(HubOptions.defaults(), Map.of(), true);
    }

    /** One more keyword argument; a null value is Python's {@code None}. */
    public TokenizerOptions with(String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(kwargs);
        m.put(key, value == null ? NULL : value);
        return new TokenizerOptions(hub, m, useFast);
    }

    public TokenizerOptions withKwargs(Map<String, ?> more) {
        TokenizerOptions o = this;
        for (Map.Entry<String, ?> e : more.entrySet()) {
            o = o.with(e.getKey(), e.getValue());
        }
        return o;
    }

    public TokenizerOptions withHub(HubOptions h) {
        return new TokenizerOptions(h, kwargs, useFast);
    }

    public TokenizerOptions withUseFast(boolean b) {
        return new TokenizerOptions(hub, kwargs, b);
    }

    /** Stands for Python's None in {@link #kwargs} (Map.copyOf rejects null values). */
    public static final Object NULL = new Object() {
        @Override
        public String toString() {
            return "None";
        }
    };
}
