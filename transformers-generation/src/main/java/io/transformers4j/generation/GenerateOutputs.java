package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Helpers for the generate() output records: Python's attribute names, nested tuples flattened as {@code name.i.j}. */
final class GenerateOutputs {
    private GenerateOutputs() {}

    static void putNested(Map<String, NDArray> map, String name, List<List<NDArray>> values) {
        if (values != null) {
            for (int i = 0; i < values.size(); i++) {
                ModelOutput.putAll(map, name + "." + i, values.get(i));
            }
        }
    }

    static Map<String, NDArray> map() {
        return new LinkedHashMap<>();
    }

    static void closeCache(Object pastKeyValues) {
        if (pastKeyValues instanceof List<?> legacy) {
            // Python's legacy tuple form: per layer {key, value, ...}
            for (Object layer : legacy) {
                if (layer instanceof NDArray[] tensors) {
                    for (NDArray t : tensors) {
                        t.close();
                    }
                }
            }
        } else if (pastKeyValues instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
