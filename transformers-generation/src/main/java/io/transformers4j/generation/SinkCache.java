package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Attention-sink cache (StreamingLLM): keeps the first {@code numSinkTokens} positions plus the most recent ones,
 * {@code windowLength} in total, re-rotating the kept keys of rotary models one position back per shift. Port of
 * Python's {@code SinkCache} (4.39): the cache grows while {@code cached + new < window_length}; after that every
 * update keeps sinks + newest entries and re-rotates the non-sink keys with cos/sin[:window_length].
 */
public final class SinkCache extends Cache {
    private final int windowLength;
    private final int numSinkTokens;
    private final List<NDArray> keyCache = new ArrayList<>();
    private final List<NDArray> valueCache = new ArrayList<>();
    private final Map<Integer, NDArray[]> cosSinCache = new HashMap<>();

    public SinkCache(int windowLength, int numSinkTokens) {
        this(windowLength, numSinkTokens, null);
    }

    public SinkCache(int windowLength, int numSinkTokens, NDManager parent) {
        super(parent);
        if (windowLength <= 0 || numSinkTokens < 0 || numSinkTokens >= windowLength) {
            throw new IllegalArgumentException("SinkCache needs window_length > num_sink_tokens >= 0, got window_length="
                    + windowLength + ", num_sink_tokens=" + numSinkTokens);
        }
        this.windowLength = windowLength;
        this.numSinkTokens = numSinkTokens;
    }

    public int windowLength() { return windowLength; }
    public int numSinkTokens() { return numSinkTokens; }

    public KeyValue get(int layerIdx) {
        if (layerIdx < 0 || layerIdx >= keyCache.size()) {
            throw new IndexOutOfBoundsException("Cache only has " + keyCache.size()
                    + " layers, attempted to access layer with index " + layerIdx);
        }
        return new KeyValue(keyCache.get(layerIdx), valueCache.get(layerIdx));
    }

    static NDArray rotateHalf(NDArray x) {
        long d = GenUtil.dim(x, -1);
        NDArray x1 = x.get(new NDIndex("..., :{}", d / 2));
        NDArray x2 = x.get(new NDIndex("..., {}:", d / 2));
        return x2.neg().concat(x1, x.getShape().dimension() - 1);
    }

    /** The keys kept past the window are re-rotated with the model's rotary tables. */
    @Override
    public boolean usesRotaryTables() {
        return true;
    }

    static NDArray applyKeyRotaryPosEmb(NDArray keys, NDArray cos, NDArray sin) {
        return keys.mul(cos).add(rotateHalf(keys).mul(sin));
    }

    /** cos/sin that rotate a key from position p to p - n (computed in float32, cached per n). */
    private NDArray[] rerotationCosSin(int n, DataType dtype, NDArray cos, NDArray sin) {
        NDArray[] cached = cosSinCache.get(n);
        if (cached != null) {
            return cached;
        }
        NDArray c = cos.toType(DataType.FLOAT32, false);
        NDArray s = sin.toType(DataType.FLOAT32, false);
        long len = c.getShape().get(0);
        NDArray originalCos = c.get(new NDIndex("{}:", numSinkTokens + n));
        NDArray shiftedCos = c.get(new NDIndex("{}:{}", numSinkTokens, len - n));
        NDArray originalSin = s.get(new NDIndex("{}:", numSinkTokens + n));
        NDArray shiftedSin = s.get(new NDIndex("{}:{}", numSinkTokens, len - n));
        NDArray rc = originalCos.mul(shiftedCos).add(originalSin.mul(shiftedSin));
        NDArray rs = originalSin.neg().mul(shiftedCos).add(originalCos.mul(shiftedSin));
        NDArray[] out = {own(rc.toType(dtype, false).expandDims(0)), own(rs.toType(dtype, false).expandDims(0))};
        cosSinCache.put(n, out);
        return out;
    }

    @Override
    public KeyValue update(NDArray keyStates, NDArray valueStates, int layerIdx, CacheKwargs kw) {
        checkOpen();
        CacheKwargs kwargs = kw == null ? CacheKwargs.NONE : kw;
        boolean usingRope = kwargs.cos() != null && kwargs.sin() != null;
        int n = (int) GenUtil.dim(keyStates, -2);
        if (layerIdx == 0) {
            seenTokens += n;
        }
        if (keyCache.size() <= layerIdx) {
            keyCache.add(own(keyStates.duplicate()));
            valueCache.add(own(valueStates.duplicate()));
        } else if (n + getSeqLength(layerIdx) < windowLength) {
            NDArray k = keyCache.get(layerIdx);
            NDArray v = valueCache.get(layerIdx);
            keyCache.set(layerIdx, own(k.concat(keyStates, 2)));
            valueCache.set(layerIdx, own(v.concat(valueStates, 2)));
            k.close();
            v.close();
        } else {
            shift(keyStates, valueStates, layerIdx, kwargs, usingRope, n);
        }
        return new KeyValue(keyCache.get(layerIdx), valueCache.get(layerIdx));
    }

    private void shift(NDArray keyStates, NDArray valueStates, int layerIdx, CacheKwargs kwargs, boolean usingRope,
            int n) {
        // Temporaries (slices, rotations) close with this scope; the new cache tensors are owned by the cache.
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            NDArray k = keyCache.get(layerIdx);
            NDArray v = valueCache.get(layerIdx);
            long cached = GenUtil.dim(k, -2);
            // [:, :, -window_length + num_sink_tokens + n:]
            long keepFrom = Math.max(0, cached - windowLength + numSinkTokens + n);
            NDArray keysToKeep = k.get(new NDIndex(":, :, {}:", keepFrom));
            if (usingRope) {
                NDArray cos = kwargs.cos().get(new NDIndex(":{}", windowLength));
                NDArray sin = kwargs.sin().get(new NDIndex(":{}", windowLength));
                NDArray[] re = rerotationCosSin(n, keyStates.getDataType(), cos, sin);
                Integer partial = kwargs.partialRotationSize();
                if (partial != null) {
                    NDArray rot = keysToKeep.get(new NDIndex("..., :{}", partial));
                    NDArray pass = keysToKeep.get(new NDIndex("..., {}:", partial));
                    keysToKeep = applyKeyRotaryPosEmb(rot, re[0], re[1]).concat(pass, pass.getShape().dimension() - 1);
                } else {
                    keysToKeep = applyKeyRotaryPosEmb(keysToKeep, re[0], re[1]);
                }
            }
            NDArray sinkKeys = k.get(new NDIndex(":, :, :{}", numSinkTokens));
            NDArray newK = sinkKeys.concat(keysToKeep, 2).concat(keyStates, 2);
            NDArray sinkValues = v.get(new NDIndex(":, :, :{}", numSinkTokens));
            NDArray valuesToKeep = v.get(new NDIndex(":, :, {}:", keepFrom));
            NDArray newV = sinkValues.concat(valuesToKeep, 2).concat(valueStates, 2);
            keyCache.set(layerIdx, own(newK));
            valueCache.set(layerIdx, own(newV));
            k.close();
            v.close();
        }
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
        return windowLength;
    }

    @Override
    public void reorderCache(NDArray beamIdx) {
        checkOpen();
        for (int i = 0; i < keyCache.size(); i++) {
            NDArray k = keyCache.get(i);
            NDArray v = valueCache.get(i);
            keyCache.set(i, own(k.get(new NDIndex("{}", beamIdx))));
            valueCache.set(i, own(v.get(new NDIndex("{}", beamIdx))));
            k.close();
            v.close();
        }
    }
}
