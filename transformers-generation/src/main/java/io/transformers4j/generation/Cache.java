package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * The key/value cache of a decoder. Port of Python's {@code Cache} (cache_utils.py).
 *
 * <p>A cache owns the tensors it stores: they live in the cache's own {@link NDManager} (unregistered from any
 * {@link NDScope}), so a model may run each step in a scope without losing the cache, and {@link #close()} frees
 * them. Tensors returned by {@link #update} belong to the cache: read them, do not close them.
 */
public abstract class Cache implements AutoCloseable {

    /** One layer's keys and values, (batch, kv_heads, seq, head_dim). */
    public record KeyValue(NDArray key, NDArray value) {}

    /**
     * Python's {@code cache_kwargs}: {@code sin}/{@code cos} (rotary tables, (seq, dim)) and
     * {@code partialRotationSize} for SinkCache, {@code cachePosition} (int64 positions) for StaticCache.
     */
    public record CacheKwargs(NDArray sin, NDArray cos, Integer partialRotationSize, NDArray cachePosition) {
        public static final CacheKwargs NONE = new CacheKwargs(null, null, null, null);

        public static CacheKwargs rope(NDArray sin, NDArray cos) {
            return new CacheKwargs(sin, cos, null, null);
        }

        public static CacheKwargs positions(NDArray cachePosition) {
            return new CacheKwargs(null, null, null, cachePosition);
        }
    }

    protected final NDManager manager;
    protected int seenTokens;
    private boolean closed;

    protected Cache(NDManager parent) {
        this.manager = parent == null ? NDManager.newBaseManager() : parent.newSubManager();
    }

    /** Stores the new states of layer {@code layerIdx} and returns the layer's full keys and values. */
    public abstract KeyValue update(NDArray keyStates, NDArray valueStates, int layerIdx, CacheKwargs cacheKwargs);

    public KeyValue update(NDArray keyStates, NDArray valueStates, int layerIdx) {
        return update(keyStates, valueStates, layerIdx, CacheKwargs.NONE);
    }

    /**
     * Whether {@link #update} reads the rotary tables ({@link CacheKwargs#cos()}, {@link CacheKwargs#sin()}) of
     * positions [0, kv_seq_len): a rotary model builds them only for a cache that does (a SinkCache re-rotates the keys
     * it keeps), not on every layer of every step for the others, whose update ignores them.
     */
    public boolean usesRotaryTables() {
        return false;
    }

    /** Number of cached positions of a layer. */
    public abstract int getSeqLength(int layerIdx);

    public int getSeqLength() {
        return getSeqLength(0);
    }

    /** The maximum sequence length the cache can hold, or null when unbounded. */
    public abstract Integer getMaxLength();

    /**
     * How many cached positions a step adding {@code newSeqLength} tokens can attend to (Python's
     * {@code get_usable_length}): all of them, unless that would exceed the maximum length.
     */
    public int getUsableLength(int newSeqLength, int layerIdx) {
        Integer max = getMaxLength();
        int previous = getSeqLength(layerIdx);
        if (max != null && previous + newSeqLength > max) {
            return max - newSeqLength;
        }
        return previous;
    }

    /** Reorders the batch dimension for beam search ({@code index_select(0, beamIdx)}). */
    public abstract void reorderCache(NDArray beamIdx);

    /** Tokens seen so far (counted on layer 0), as Python's {@code seen_tokens}. */
    public int seenTokens() {
        return seenTokens;
    }

    public NDManager manager() {
        return manager;
    }

    /** Moves an array created during this call into the cache's manager, out of the caller's scope. */
    protected NDArray own(NDArray a) {
        NDScope.unregister(a);
        a.attach(manager);
        return a;
    }

    protected void checkOpen() {
        if (closed) {
            throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            manager.close();
        }
    }
}
