package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * What generate() does to a cache without knowing the model: Python's legacy {@code past_key_values} (here
 * {@code List<NDArray[]>}: per layer {key, value} for a decoder, {self key, self value, cross key, cross value} for an
 * encoder-decoder, every tensor batch first, (batch, heads, seq, head_dim)) or a {@link Cache} object.
 *
 * <p>Operations on the legacy form return new lists of new tensors and leave the old ones alone; the caller decides
 * when to close them ({@link #closeReplaced}). A {@link Cache} is changed in place and returned.
 */
public final class PastKeyValues {
    private PastKeyValues() {}

    /** The legacy form of {@code past}, or null; {@code who} names the caller in the error for anything else. */
    @SuppressWarnings("unchecked")
    public static List<NDArray[]> legacy(Object past, String who) {
        if (past == null) {
            return null;
        }
        if (past instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                if (!(l.get(i) instanceof NDArray[] layer) || layer.length < 2) {
                    throw new IllegalArgumentException(who + ": past_key_values[" + i + "] must hold a key and a "
                            + "value tensor");
                }
            }
            return (List<NDArray[]>) l;
        }
        throw new IllegalArgumentException(who + " expects past_key_values as the per-layer {key, value} list a "
                + "previous step returned, got " + past.getClass().getSimpleName());
    }

    /** Cached positions (dimension 2 of layer 0's key), 0 for an empty or absent cache. */
    public static int seqLength(Object past) {
        if (past == null) {
            return 0;
        }
        if (past instanceof Cache c) {
            return c.getSeqLength();
        }
        List<NDArray[]> l = legacy(past, "past_key_values");
        return l.isEmpty() ? 0 : (int) l.get(0)[0].getShape().get(2);
    }

    /** Batch size of the cache (dimension 0 of layer 0's key), or -1 when empty. */
    static long batchSize(Object past) {
        List<NDArray[]> l = past instanceof DynamicCache d ? d.toLegacyCache() : legacy(past, "past_key_values");
        return l == null || l.isEmpty() ? -1 : l.get(0)[0].getShape().get(0);
    }

    /**
     * Python's {@code _reorder_cache}: every tensor's rows picked by {@code beamIdx} ({@code index_select(0, ...)});
     * a {@link Cache} reorders itself ({@code Cache.reorder_cache}).
     */
    public static Object reorder(Object past, NDArray beamIdx) {
        if (past == null) {
            return null;
        }
        if (past instanceof Cache c) {
            c.reorderCache(beamIdx);
            return c;
        }
        List<NDArray[]> l = legacy(past, "past_key_values");
        List<NDArray[]> out = new ArrayList<>(l.size());
        NDArray idx = beamIdx.getDataType() == DataType.INT64 ? beamIdx : beamIdx.toType(DataType.INT64, false);
        for (NDArray[] layer : l) {
            NDArray[] r = new NDArray[layer.length];
            for (int j = 0; j < layer.length; j++) {
                r[j] = layer[j].get(new NDIndex("{}", idx));
            }
            out.add(r);
        }
        return out;
    }

    /** {@link #reorder} with host row indices (expansion for contrastive search, selection of candidates). */
    static Object selectRows(Object past, long[] rows, NDManager manager) {
        try (NDArray idx = manager.create(rows)) {
            return reorder(toLegacyIfDynamic(past), idx);
        }
    }

    /**
     * Python's {@code _crop_past_key_values}: keeps the first {@code maximumLength} positions of the self-attention
     * keys/values (an encoder-decoder's cross-attention entries stay whole).
     */
    static Object crop(Object past, int maximumLength, boolean encoderDecoder) {
        if (past == null) {
            return null;
        }
        if (past instanceof Cache) {
            throw new UnsupportedOperationException("assisted decoding crops the cache and needs the legacy "
                    + "past_key_values form, got " + past.getClass().getSimpleName());
        }
        List<NDArray[]> l = legacy(past, "past_key_values");
        List<NDArray[]> out = new ArrayList<>(l.size());
        for (NDArray[] layer : l) {
            NDArray[] r = layer.clone();
            int cropped = encoderDecoder ? 2 : layer.length;
            for (int j = 0; j < Math.min(cropped, layer.length); j++) {
                long len = layer[j].getShape().get(2);
                r[j] = layer[j].get(new NDIndex(":, :, :{}, :", Math.min(maximumLength, len)));
            }
            out.add(r);
        }
        return out;
    }

    /** Contrastive search's final cache: {@code item[..., :-1, :]} of every tensor. */
    static Object dropLastPosition(Object past) {
        if (past == null) {
            return null;
        }
        List<NDArray[]> l = legacy(toLegacyIfDynamic(past), "past_key_values");
        List<NDArray[]> out = new ArrayList<>(l.size());
        for (NDArray[] layer : l) {
            NDArray[] r = new NDArray[layer.length];
            for (int j = 0; j < layer.length; j++) {
                r[j] = layer[j].get(new NDIndex("..., :-1, :"));
            }
            out.add(r);
        }
        return out;
    }

    /** Python iterates a DynamicCache as legacy tuples; contrastive search rebuilds the legacy form from them. */
    static Object toLegacyIfDynamic(Object past) {
        return past instanceof DynamicCache d ? d.toLegacyCache() : past;
    }

    /** The tensors of a legacy cache (none for a Cache object, which owns its tensors). */
    static Set<NDArray> tensors(Object past) {
        if (past == null || past instanceof Cache) {
            return Collections.emptySet();
        }
        Set<NDArray> s = Collections.newSetFromMap(new IdentityHashMap<>());
        for (NDArray[] layer : legacy(past, "past_key_values")) {
            Collections.addAll(s, layer);
        }
        return s;
    }

    /**
     * Closes the tensors of the legacy cache {@code old} that {@code replacement} does not hold (an encoder-decoder
     * keeps its cross-attention tensors from step to step), so the cache of a long generation does not pile up.
     */
    static void closeReplaced(Object old, Object replacement) {
        if (old == null || old == replacement) {
            return;
        }
        Set<NDArray> keep = tensors(replacement);
        for (NDArray a : tensors(old)) {
            if (!keep.contains(a)) {
                a.close();
            }
        }
    }

    /** Moves the legacy cache's tensors to {@code manager} (a Cache keeps its own manager). */
    static void attach(Object past, NDManager manager) {
        for (NDArray a : tensors(past)) {
            a.attach(manager);
        }
    }
}
