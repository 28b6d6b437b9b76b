package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.List;
import java.util.Map;

/** Flattening helpers for the records of this package. */
final class Outputs {
    private Outputs() {}

    /** Puts each layer's cache tensors as {@code past_key_values.<layer>.<j>}, Python's tuple-of-tuples order. */
    static void putCache(Map<String, NDArray> map, List<NDArray[]> pastKeyValues) {
        if (pastKeyValues == null) {
            return;
        }
        for (int i = 0; i < pastKeyValues.size(); i++) {
            NDArray[] layer = pastKeyValues.get(i);
            for (int j = 0; j < layer.length; j++) {
                ModelOutput.put(map, "past_key_values." + i + "." + j, layer[j]);
            }
        }
    }
}
