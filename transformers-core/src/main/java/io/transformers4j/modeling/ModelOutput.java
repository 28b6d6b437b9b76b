package io.transformers4j.modeling;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;

/**
 * A model's output: a record of named tensors (Python's ModelOutput dataclasses). {@link #toMap} flattens it with
 * Python's attribute names ({@code logits}, {@code hidden_states.0}, ...), the names the reference fixtures use.
 * Closing an output closes the tensors it holds.
 */
public interface ModelOutput extends AutoCloseable {

    /** The non-null tensors by Python attribute name; tuples flattened as {@code name.i}. */
    Map<String, NDArray> toMap();

    /**
     * The cache this forward returned for the next step ({@code past_key_values}), or null. Its type is the model's
     * (legacy per-layer {key, value} list, or a Cache); pass it back unchanged.
     */
    default Object pastKeyValues() {
        return null;
    }

    @Override
    default void close() {
        for (NDArray a : toMap().values()) {
            a.close();
        }
    }

    /** Helper for implementations: puts {@code value} under {@code name} when not null. */
    static void put(Map<String, NDArray> map, String name, NDArray value) {
        if (value != null) {
            map.put(name, value);
        }
    }

    /** Helper for implementations: puts each element of a tuple as {@code name.i}. */
    static void putAll(Map<String, NDArray> map, String name, List<NDArray> values) {
        if (values != null) {
            for (int i = 0; i < values.size(); i++) {
                map.put(name + "." + i, values.get(i));
            }
        }
    }
}
