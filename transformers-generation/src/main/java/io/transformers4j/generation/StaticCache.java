package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * A cache preallocated to {@code maxCacheLen} positions: (max_batch_size, kv_heads, max_cache_len, head_dim) per
 * layer, zero-filled, written in place at {@code cache_position} (no per-step allocation). Port of Python's
 * {@code StaticCache}. Python 4.39 keeps one StaticCache per attention layer; a cache built with one layer
 * behaves like that (the layer index is ignored), one built with several holds a buffer per layer.
 */
public final class StaticCache extends Cache {
    private final int maxBatchSize;
    private final int maxCacheLen;
    private final int numKeyValueHeads;
    private final int headDim;
    private final DType dtype;
    private final List<NDArray> keyCache = new ArrayList<>();
    private final List<NDArray> valueCache = new ArrayList<>();
    /**
     * The last cache_position seen and its values: every layer of a forward passes the same tensor, so it is read
     * once per forward, not once per layer. Compared by identity (a new forward passes a new tensor).
     */
    private NDArray lastCachePosition;
    private long[] lastPositions;

    public StaticCache(int numLayers, int maxBatchSize, int numKeyValueHeads, int maxCacheLen, int headDim,
            DataType dtype, NDManager parent) {
        this(numLayers, maxBatchSize, numKeyValueHeads, maxCacheLen, headDim,
                dtype == null ? DType.F32 : DType.fromDjl(dtype), parent);
    }

    /**
     * As the {@link DataType} constructor, for any floating {@link DType}: bfloat16 too, which DJL's types cannot name
     * (the buffers of a bfloat16 model stay bfloat16, as Python's StaticCache takes the model's dtype).
     */
    public StaticCache(int numLayers, int maxBatchSize, int numKeyValueHeads, int maxCacheLen, int headDim,
            DType dtype, NDManager parent) {
        super(parent);
        if (numLayers < 1 || maxBatchSize < 1 || numKeyValueHeads < 1 || maxCacheLen < 1 || headDim < 1) {
            throw new IllegalArgumentException("StaticCache needs positive sizes, got layers=" + numLayers
                    + ", max_batch_size=" + maxBatchSize + ", num_key_value_heads=" + numKeyValueHeads
                    + ", max_cache_len=" + maxCacheLen + ", head_dim=" + headDim);
        }
        if (dtype != null && !dtype.isFloatingPoint()) {
            throw new IllegalArgumentException("StaticCache holds keys and values of a floating type, not " + dtype);
        }
        this.maxBatchSize = maxBatchSize;
        this.maxCacheLen = maxCacheLen;
        this.numKeyValueHeads = numKeyValueHeads;
        this.headDim = headDim;
        this.dtype = dtype == null ? DType.F32 : dtype;
        Shape shape = new Shape(maxBatchSize, numKeyValueHeads, maxCacheLen, headDim);
        for (int i = 0; i < numLayers; i++) {
            keyCache.add(zeros(shape));
            valueCache.add(zeros(shape));
        }
    }

    /** A zero buffer of the cache's dtype, owned by the cache (bfloat16 made by a cast: DJL cannot create it). */
    private NDArray zeros(Shape shape) {
        if (dtype.djl() != null) {
            return own(manager.zeros(shape, dtype.djl()));
        }
        try (NDArray f32 = manager.zeros(shape, DataType.FLOAT32)) {
            return own(TorchOps.toDType(f32, dtype));
        }
    }

    /**
     * Sizes from a model config as Python reads them: {@code max_cache_len} (default max_position_embeddings),
     * {@code head_dim} (or hidden_size / num_attention_heads), {@code num_key_value_heads} (or
     * num_attention_heads), one buffer per {@code num_hidden_layers}.
     */
    public static StaticCache fromConfig(PretrainedConfig config, int maxBatchSize, Integer maxCacheLen, DataType dtype,
            NDManager parent) {
        return fromConfig(config, maxBatchSize, maxCacheLen, dtype == null ? DType.F32 : DType.fromDjl(dtype), parent);
    }

    /** As {@link #fromConfig(PretrainedConfig, int, Integer, DataType, NDManager)} for any floating DType. */
    public static StaticCache fromConfig(PretrainedConfig config, int maxBatchSize, Integer maxCacheLen, DType dtype,
            NDManager parent) {
        JsonNode c = config.toJson();
        int heads = required(c, "num_attention_heads");
        int len = maxCacheLen != null ? maxCacheLen : required(c, "max_position_embeddings");
        int headDim = c.hasNonNull("head_dim") ? c.get("head_dim").asInt() : required(c, "hidden_size") / heads;
        int kvHeads = c.hasNonNull("num_key_value_heads") ? c.get("num_key_value_heads").asInt() : heads;
        int layers = c.hasNonNull("num_hidden_layers") ? c.get("num_hidden_layers").asInt() : 1;
        return new StaticCache(layers, maxBatchSize, kvHeads, len, headDim, dtype, parent);
    }

    private static int required(JsonNode c, String key) {
        if (!c.hasNonNull(key)) {
            throw new IllegalArgumentException("StaticCache: the model config has no `" + key + "`");
        }
        return c.get(key).asInt();
    }

    public int maxBatchSize() { return maxBatchSize; }
    public int numKeyValueHeads() { return numKeyValueHeads; }
    public int headDim() { return headDim; }
    public int numLayers() { return keyCache.size(); }

    /** The preallocated buffers of a layer (the same tensors for the cache's whole life). */
    public KeyValue get(int layerIdx) {
        int l = layer(layerIdx);
        return new KeyValue(keyCache.get(l), valueCache.get(l));
    }

    private int layer(int layerIdx) {
        if (keyCache.size() == 1) {
            return 0;
        }
        if (layerIdx < 0 || layerIdx >= keyCache.size()) {
            throw new IndexOutOfBoundsException("StaticCache has " + keyCache.size() + " layers, attempted to access "
                    + "layer with index " + layerIdx);
        }
        return layerIdx;
    }

    /** Writes the states at {@code cacheKwargs.cachePosition()} in place and returns the layer's buffers. */
    @Override
    public KeyValue update(NDArray keyStates, NDArray valueStates, int layerIdx, CacheKwargs cacheKwargs) {
        checkOpen();
        if (cacheKwargs == null || cacheKwargs.cachePosition() == null) {
            throw new IllegalArgumentException("StaticCache.update needs `cache_position` in the cache kwargs");
        }
        int l = layer(layerIdx);
        NDArray cachePosition = cacheKwargs.cachePosition();
        long[] pos = positions(cachePosition);
        long n = GenUtil.dim(keyStates, -2);
        if (pos.length != n) {
            throw new IllegalArgumentException("StaticCache: " + pos.length + " cache positions for " + n
                    + " new key states");
        }
        countWritten(layerIdx, n);
        write(keyCache.get(l), keyStates, pos, cachePosition);
        write(valueCache.get(l), valueStates, pos, cachePosition);
        return new KeyValue(keyCache.get(l), valueCache.get(l));
    }

    /**
     * The values of {@code cache_position}, checked to lie in [0, max_cache_len) as {@link #update} checks them. Read
     * once per forward: every layer passes the same tensor (compared by identity).
     */
    public long[] positions(NDArray cachePosition) {
        checkOpen();
        if (cachePosition == lastCachePosition && !cachePosition.isReleased()) {
            return lastPositions;
        }
        long[] pos = cachePosition.toType(DataType.INT64, false).toLongArray();
        for (long p : pos) {
            if (p < 0 || p >= maxCacheLen) {
                throw new IndexOutOfBoundsException("StaticCache: cache position " + p + " is outside max_cache_len "
                        + maxCacheLen);
            }
        }
        lastCachePosition = cachePosition;
        lastPositions = pos;
        return pos;
    }

    /**
     * The token count of {@link #update}, for a caller that wrote a layer's new keys and values into
     * {@link #get}'s buffers itself at {@link #positions} (a fused native decoder layer writes them in place).
     */
    public void countWritten(int layerIdx, long newTokens) {
        if (layerIdx == 0 || keyCache.size() == 1) {
            seenTokens += (int) newTokens;
        }
    }

    /**
     * buffer[:, :, pos] = states, in place: one index_copy_ when states fill the buffer's batch (Python's
     * {@code k_out[:, :, cache_position] = key_states}), else a slice copy of the first rows.
     */
    private static void write(NDArray buffer, NDArray states, long[] pos, NDArray cachePosition) {
        long b = states.getShape().get(0);
        if (b == buffer.getShape().get(0) && cachePosition.getDataType() == DataType.INT64
                && cachePosition.getShape().dimension() == 1 && cachePosition.getDevice().equals(buffer.getDevice())
                && TorchOps.dtypeOf(states) == TorchOps.dtypeOf(buffer)) {
            TorchOps.indexCopy(buffer, 2, cachePosition, states);
            return;
        }
        boolean consecutive = true;
        for (int i = 1; i < pos.length; i++) {
            consecutive &= pos[i] == pos[i - 1] + 1;
        }
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            writeIn(buffer, states, pos, b, consecutive);
        }
    }

    private static void writeIn(NDArray buffer, NDArray states, long[] pos, long b, boolean consecutive) {
        DType bufferType = TorchOps.dtypeOf(buffer); // DJL's getDataType cannot name bfloat16
        NDArray src = TorchOps.dtypeOf(states) == bufferType ? states : TorchOps.toDType(states, bufferType);
        if (consecutive && pos.length > 0) {
            buffer.set(new NDIndex("0:{}, :, {}:{}", b, pos[0], pos[0] + pos.length), src);
        } else {
            for (int i = 0; i < pos.length; i++) {
                buffer.set(new NDIndex("0:{}, :, {}:{}", b, pos[i], pos[i] + 1),
                        src.get(new NDIndex(":, :, {}:{}", i, i + 1)));
            }
        }
    }

    /** Python's rule: positions where batch 0 / head 0 holds any non-zero value. */
    @Override
    public int getSeqLength(int layerIdx) {
        NDArray k = keyCache.get(layer(layerIdx));
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            NDArray perPosition = k.get(0, 0).neq(0).toType(DataType.INT64, false).sum(new int[] {-1});
            return (int) perPosition.gt(0).toType(DataType.INT64, false).sum().getLong();
        }
    }

    @Override
    public Integer getMaxLength() {
        return maxCacheLen;
    }

    /** Reorders the batch rows in place (the buffers keep their identity). */
    @Override
    public void reorderCache(NDArray beamIdx) {
        checkOpen();
        for (List<NDArray> list : List.of(keyCache, valueCache)) {
            for (NDArray buf : list) {
                try (NDArray picked = buf.get(new NDIndex("{}", beamIdx))) {
                    buf.set(new NDIndex("0:{}", picked.getShape().get(0)), picked);
                }
            }
        }
    }

    /** Zeroes the buffers in place. */
    public void reset() {
        for (List<NDArray> list : List.of(keyCache, valueCache)) {
            for (NDArray buf : list) {
                try (NDArray zero = zeros(new Shape(1))) {
                    buf.set(new NDIndex(":"), zero); // a scalar of the buffer's dtype: DJL cannot make a bf16 one
                }
            }
        }
        seenTokens = 0;
    }

    /** Python returns None: a static cache has no legacy form. */
    public List<NDArray[]> toLegacyCache() {
        return null;
    }
}
