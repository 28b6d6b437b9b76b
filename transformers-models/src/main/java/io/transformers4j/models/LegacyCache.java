package io.transformers4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The legacy {@code past_key_values} (per layer {key, value}, each (batch, kv_heads, seq, head_dim)) seen through the
 * interface of Python's {@code DynamicCache}: {@link #update} appends a layer's new keys/values and returns the
 * layer's full ones, {@link #toLegacyCache} gives the list to return. Llama/Mistral/Persimmon convert the legacy tuple
 * to a DynamicCache the same way at the start of their forward ({@code DynamicCache.from_legacy_cache}).
 *
 * <p>One instance per forward call. It never modifies the list it was given: the caller's past stays valid, and the
 * returned list holds new tensors (created in the past tensors' manager: they come first in the concatenation).
 */
public final class LegacyCache {

    private final NDArray[][] layers;

    private LegacyCache(NDArray[][] layers) {
        this.layers = layers;
    }

    /**
     * A cache over {@code pastKeyValues} (null: empty), checked against the model's layer count.
     *
     * @param model the model's name, for errors
     */
    public static LegacyCache fromLegacyCache(Object pastKeyValues, int numLayers, String model) {
        NDArray[][] layers = new NDArray[numLayers][];
        if (pastKeyValues != null) {
            if (!(pastKeyValues instanceof List)) {
                throw new IllegalArgumentException(model + ": past_key_values must be the list of per-layer {key, "
                        + "value} arrays a previous forward returned (the legacy format), got "
                        + pastKeyValues.getClass().getName() + "; Cache objects are not accepted yet: pass "
                        + "DynamicCache.toLegacyCache()");
            }
            List<?> past = (List<?>) pastKeyValues;
            if (past.size() != numLayers) {
                throw new IllegalArgumentException(model + ": past_key_values holds " + past.size()
                        + " layers but the model has " + numLayers + " (config num_hidden_layers)");
            }
            for (int i = 0; i < numLayers; i++) {
                Object kv = past.get(i);
                if (!(kv instanceof NDArray[]) || ((NDArray[]) kv).length < 2) {
                    throw new IllegalArgumentException(model + ": past_key_values[" + i + "] must hold a key and a "
                            + "value tensor");
                }
                layers[i] = Arrays.copyOf((NDArray[]) kv, 2);
            }
        }
        return new LegacyCache(layers);
    }

    /** Cached positions of layer {@code layerIdx} (Python's {@code get_seq_length}). */
    public int getSeqLength(int layerIdx) {
        NDArray[] kv = layers[layerIdx];
        return kv == null ? 0 : Math.toIntExact(kv[0].getShape().get(2));
    }

    /**
     * How many cached positions a step adding {@code newSeqLength} tokens attends to (Python's
     * {@code get_usable_length}): all of them, since this cache has no maximum length. Mistral and Persimmon size their
     * masks and rotary tables with it, so a bounded cache (SinkCache, StaticCache) can take this class's place.
     */
    public int getUsableLength(int newSeqLength, int layerIdx) {
        return getSeqLength(layerIdx);
    }

    /**
     * Appends the new {@code key} / {@code value} (batch, kv_heads, new, head_dim) of layer {@code layerIdx} and
     * returns the layer's full {key, value} (batch, kv_heads, past + new, head_dim).
     */
    public NDArray[] update(NDArray key, NDArray value, int layerIdx) {
        NDArray[] kv = layers[layerIdx];
        if (kv != null) {
            // The cached tensors come first so the concatenation lands in their (the caller's) manager.
            key = NDArrays.concat(new NDList(kv[0], key), 2);
            value = NDArrays.concat(new NDList(kv[1], value), 2);
        }
        layers[layerIdx] = new NDArray[] {key, value};
        return layers[layerIdx];
    }

    /** The per-layer {key, value} pairs, as the forward returns them. */
    public List<NDArray[]> toLegacyCache() {
        List<NDArray[]> out = new ArrayList<>(layers.length);
        for (NDArray[] kv : layers) {
            out.add(kv);
        }
        return out;
    }
}
