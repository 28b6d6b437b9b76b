package io.transformers4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.generation.Cache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * The legacy {@code past_key_values} (per layer {key, value}, each (batch, kv_heads, seq, head_dim)) seen through the
 * interface of Python's {@code DynamicCache}: {@link #update} appends a layer's new keys/values and returns the
 * layer's full ones, {@link #toLegacyCache} gives the list to return. Llama/Mistral/Persimmon convert the legacy tuple
 * to a DynamicCache the same way at the start of their forward ({@code DynamicCache.from_legacy_cache}).
 *
 * <p>One instance per forward call. It never modifies the list it was given: the caller's past stays valid, and the
 * returned list holds new tensors (created in the past tensors' manager: they come first in the concatenation).
 *
 * <p>{@link #forPast} also accepts a {@link Cache} object (DynamicCache, SinkCache, StaticCache), as Python's forward
 * does when {@code past_key_values} is a Cache: the updates then go to that object, which the forward returns as its
 * next cache ({@link #nextCache()}).
 */
public final class LegacyCache {

    private final NDArray[][] layers;
    private final Cache cache;
    private NDArray cachePosition;

    private LegacyCache(NDArray[][] layers, Cache cache) {
        this.layers = layers;
        this.cache = cache;
    }

    /**
     * The cache of one forward: {@code pastKeyValues} as a {@link Cache} object updated in place, or as the legacy
     * list ({@link #fromLegacyCache}).
     */
    public static LegacyCache forPast(Object pastKeyValues, int numLayers, String model) {
        if (pastKeyValues instanceof Cache c) {
            return new LegacyCache(null, c);
        }
        return fromLegacyCache(pastKeyValues, numLayers, model);
    }

    /**
     * Python's {@code cache_position} of this forward: a StaticCache writes the new keys there (given to every
     * {@link #update(NDArray, NDArray, int)} of a Cache object).
     */
    public LegacyCache cachePosition(NDArray cachePosition) {
        this.cachePosition = cachePosition;
        return this;
    }

    /** This forward's {@code cache_position}, or null when none was given. */
    public NDArray cachePosition() {
        return cachePosition;
    }

    /**
     * {@link #update(NDArray, NDArray, int)} for a rotary model's attention. A Cache object that re-rotates the keys it
     * keeps ({@link Cache#usesRotaryTables()}: SinkCache) gets Python's {@code cache_kwargs}: the rotary tables
     * {@code cos}/{@code sin} of positions [0, kv_seq_len), made by {@code tables} from the (1, kv_seq_len) positions
     * only for such a cache, and the rotated width when only part of head_dim is rotated (Persimmon; null: all of
     * it). Other caches get only {@code cache_position} (where a StaticCache writes).
     *
     * @param key (batch, kv_heads, new, head_dim), already rotated
     * @param tables positions (1, kv_seq_len) -> {cos, sin}, each (1, kv_seq_len, rotary_dim)
     */
    public NDArray[] updateRotary(NDArray key, NDArray value, int layerIdx, Function<NDArray, NDArray[]> tables,
            Integer partialRotationSize) {
        if (cache == null || !cache.usesRotaryTables()) {
            return update(key, value, layerIdx);
        }
        int newTokens = Math.toIntExact(key.getShape().get(2));
        long kvSeqLen = newTokens + getUsableLength(newTokens, layerIdx);
        NDArray positions = value.getManager().arange(0, kvSeqLen, 1, DataType.INT64).reshape(1, -1);
        NDArray[] cosSin = tables.apply(positions);
        return update(key, value, layerIdx, new Cache.CacheKwargs(cosSin[1].squeeze(0), cosSin[0].squeeze(0),
                partialRotationSize, cachePosition));
    }

    /** The Cache object this forward updates, or null for the legacy form. */
    public Cache cacheObject() {
        return cache;
    }

    /** What the forward returns as {@code past_key_values}: the Cache object, or the new legacy list. */
    public Object nextCache() {
        return cache != null ? cache : toLegacyCache();
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
        return new LegacyCache(layers, null);
    }

    /** Cached positions of layer {@code layerIdx} (Python's {@code get_seq_length}). */
    public int getSeqLength(int layerIdx) {
        if (cache != null) {
            return cache.getSeqLength(layerIdx);
        }
        NDArray[] kv = layers[layerIdx];
        return kv == null ? 0 : Math.toIntExact(kv[0].getShape().get(2));
    }

    /**
     * How many cached positions a step adding {@code newSeqLength} tokens attends to (Python's
     * {@code get_usable_length}): all of them, since this cache has no maximum length. Mistral and Persimmon size their
     * masks and rotary tables with it, so a bounded cache (SinkCache, StaticCache) can take this class's place.
     */
    public int getUsableLength(int newSeqLength, int layerIdx) {
        if (cache != null) {
            return cache.getUsableLength(newSeqLength, layerIdx);
        }
        return getSeqLength(layerIdx);
    }

    /**
     * Appends the new {@code key} / {@code value} (batch, kv_heads, new, head_dim) of layer {@code layerIdx} and
     * returns the layer's full {key, value} (batch, kv_heads, past + new, head_dim).
     */
    public NDArray[] update(NDArray key, NDArray value, int layerIdx) {
        return update(key, value, layerIdx, cachePosition == null ? Cache.CacheKwargs.NONE
                : Cache.CacheKwargs.positions(cachePosition));
    }

    /**
     * As {@link #update(NDArray, NDArray, int)}, with Python's {@code cache_kwargs} for a Cache object (rotary cos/sin
     * tables for SinkCache, {@code cache_position} for StaticCache); the legacy form ignores them.
     */
    public NDArray[] update(NDArray key, NDArray value, int layerIdx, Cache.CacheKwargs cacheKwargs) {
        if (cache != null) {
            Cache.KeyValue kv = cache.update(key, value, layerIdx, cacheKwargs);
            return new NDArray[] {kv.key(), kv.value()};
        }
        NDArray[] kv = layers[layerIdx];
        if (kv != null) {
            // The cached tensors come first so the concatenation lands in their (the caller's) manager.
            key = NDArrays.concat(new NDList(kv[0], key), 2);
            value = NDArrays.concat(new NDList(kv[1], value), 2);
        }
        layers[layerIdx] = new NDArray[] {key, value};
        return layers[layerIdx];
    }

    /**
     * The legacy {key, value} of layer {@code layerIdx} after this forward's update (new arrays, made in the current
     * scope), or null: not updated yet, or a Cache object, which owns its tensors.
     */
    public NDArray[] layerArrays(int layerIdx) {
        return cache != null ? null : layers[layerIdx];
    }

    /** The per-layer {key, value} pairs, as the forward returns them. */
    public List<NDArray[]> toLegacyCache() {
        if (cache != null) {
            throw new IllegalStateException("this forward updates a " + cache.getClass().getSimpleName()
                    + ", not the legacy list");
        }
        List<NDArray[]> out = new ArrayList<>(layers.length);
        for (NDArray[] kv : layers) {
            out.add(kv);
        }
        return out;
    }
}
