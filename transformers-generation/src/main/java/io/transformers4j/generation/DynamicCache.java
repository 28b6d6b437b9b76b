package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;

/**
 * A cache that grows with the sequence: per layer, keys and values concatenated along the sequence axis. Port of
 * Python's {@code DynamicCache}, with the legacy form ({@code ((key, value), ...)} per layer) as a list of
 * {@code NDArray[]{key, value}}.
 */
public class DynamicCache extends Cache {
    protected final List<NDArray> keyCache = new ArrayList<>();
    protected final List<NDArray> valueCache = new ArrayList<>();

    public DynamicCache() {
        this(null);
    }

    public DynamicCache(NDManager parent) {
        super(parent);
    }

    /** Number of layers cached. */
    public int size() {
        return keyCache.size();
    }

    /** Python's {@code cache[layer_idx]}. */
    public KeyValue get(int layerIdx) {
        if (layerIdx < 0 || layerIdx >= keyCache.size()) {
            throw new IndexOutOfBoundsException("Cache only has " + keyCache.size()
                    + " layers, attempted to access layer with index " + layerIdx);
        }
        return new KeyValue(keyCache.get(layerIdx), valueCache.get(layerIdx));
    }

    @Override
    public KeyValue update(NDArray keyStates, NDArray valueStates, int layerIdx, CacheKwargs cacheKwargs) {
        checkOpen();
        if (layerIdx == 0) {
            seenTokens += (int) GenUtil.dim(keyStates, -2);
        }
        if (keyCache.size() <= layerIdx) {
            if (keyCache.size() != layerIdx) {
                throw new IllegalArgumentException("DynamicCache: layer " + layerIdx + " updated before layer "
                        + keyCache.size());
            }
            keyCache.add(own(keyStates.duplicate()));
            valueCache.add(own(valueStates.duplicate()));
        } else {
            NDArray k = keyCache.get(layerIdx);
            NDArray v = valueCache.get(layerIdx);
            keyCache.set(layerIdx, own(k.concat(keyStates, 2)));
            valueCache.set(layerIdx, own(v.concat(valueStates, 2)));
            k.close();
            v.close();
        }
        return new KeyValue(keyCache.get(layerIdx), valueCache.get(layerIdx));
    }

    @Override
    public int getSeqLength(int layerIdx) {
        if (keyCache.size() <= layerIdx) {
            return 0;
        }
        return (int) GenUtil.dim(keyCache.get(layerIdx), -2);
    }

    @Override
    public Integer getMaxLength() {
        return null;
    }

    @Override
    public void reorderCache(NDArray beamIdx) {
        checkOpen();
        for (int i = 0; i < keyCache.size(); i++) {
            keyCache.set(i, reorder(keyCache.get(i), beamIdx));
            valueCache.set(i, reorder(valueCache.get(i), beamIdx));
        }
    }

    protected NDArray reorder(NDArray x, NDArray beamIdx) {
        NDArray out = own(x.get(new NDIndex("{}", beamIdx)));
        x.close();
        return out;
    }

    /** The per-layer {key, value} pairs (the cache's own tensors, not copies). */
    public List<NDArray[]> toLegacyCache() {
        List<NDArray[]> out = new ArrayList<>();
        for (int i = 0; i < keyCache.size(); i++) {
            out.add(new NDArray[] {keyCache.get(i), valueCache.get(i)});
        }
        return out;
    }

    /** A cache holding copies of the legacy per-layer {key, value} pairs (null or empty: an empty cache). */
    public static DynamicCache fromLegacyCache(List<NDArray[]> pastKeyValues) {
        DynamicCache cache = new DynamicCache();
        if (pastKeyValues != null) {
            for (int i = 0; i < pastKeyValues.size(); i++) {
                NDArray[] kv = pastKeyValues.get(i);
                if (kv == null || kv.length < 2) {
                    throw new IllegalArgumentException("past_key_values[" + i + "] must hold a key and a value tensor");
                }
                cache.update(kv[0], kv[1], i);
            }
        }
        return cache;
    }
}
