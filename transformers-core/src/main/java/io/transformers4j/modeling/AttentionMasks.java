package io.transformers4j.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * The additive attention masks Python builds before attention: 0 where a query may attend a key,
 * {@code finfo(dtype).min} (not -inf) where it may not. Ports of {@code ModuleUtilsMixin.get_extended_attention_mask}
 * / {@code invert_attention_mask} (modeling_utils.py) and of {@code _prepare_4d_attention_mask} /
 * {@code _prepare_4d_causal_attention_mask} (modeling_attn_mask_utils.py), which differ in how they combine the causal
 * and padding masks (product of 0/1 masks vs. fill), so each model uses the one its Python file calls.
 */
public final class AttentionMasks {
    private AttentionMasks() {}

    /** {@code torch.finfo(dtype).min}. */
    public static double finfoMin(DataType dtype) {
        switch (dtype) {
            case FLOAT32:
                return -Float.MAX_VALUE;
            case FLOAT16:
                return -65504.0;
            case FLOAT64:
                return -Double.MAX_VALUE;
            default:
                throw new IllegalArgumentException("attention masks are built in float16, float32 or float64, not "
                        + dtype);
        }
    }

    /**
     * {@code get_extended_attention_mask}: a 2-D (batch, key_len) or 3-D (batch, query_len, key_len) mask of 1/0 made
     * broadcastable to (batch, heads, query_len, key_len) and additive. For a decoder a 2-D mask is first multiplied
     * by the causal mask (query i of the {@code seqLength} new tokens sees keys j <= past + i, where past =
     * key_len - seqLength), so positions both padded and in the future get min once, not twice.
     *
     * @param attentionMask 1 keep / 0 drop, any numeric type
     * @param seqLength the number of new (query) tokens
     * @param isDecoder whether to apply the causal mask to a 2-D mask
     * @param dtype the dtype of the attention scores
     */
    public static NDArray extendedAttentionMask(NDArray attentionMask, long seqLength, boolean isDecoder,
            DataType dtype) {
        Shape s = attentionMask.getShape();
        NDArray extended;
        if (s.dimension() == 3) {
            extended = attentionMask.expandDims(1).toType(dtype, false); // (B, 1, T, S)
        } else if (s.dimension() == 2) {
            long batch = s.get(0);
            long keyLength = s.get(1);
            NDArray mask = attentionMask.toType(dtype, false).reshape(batch, 1, 1, keyLength); // (B, 1, 1, S)
            if (isDecoder) {
                if (keyLength < seqLength) {
                    throw new IllegalArgumentException("attention_mask covers " + keyLength + " positions but the "
                            + "decoder got " + seqLength + " new tokens: it must cover past + new tokens");
                }
                NDArray causal = causal(attentionMask.getManager(), seqLength, keyLength).toType(dtype, false);
                extended = mask.mul(causal.reshape(1, 1, seqLength, keyLength)); // (B, 1, T, S)
            } else {
                extended = mask;
            }
        } else {
            throw new IllegalArgumentException("Wrong shape for attention_mask (shape " + s + "): expected "
                    + "(batch, seq) or (batch, query_seq, key_seq)");
        }
        return invert01(extended, dtype);
    }

    /**
     * {@code invert_attention_mask}: an encoder mask (batch, key_len) or (batch, query_len, key_len) of 1/0 as the
     * additive (batch, 1, 1 | query_len, key_len) mask of cross-attention.
     */
    public static NDArray invertAttentionMask(NDArray encoderAttentionMask, DataType dtype) {
        Shape s = encoderAttentionMask.getShape();
        NDArray extended;
        if (s.dimension() == 3) {
            extended = encoderAttentionMask.expandDims(1);
        } else if (s.dimension() == 2) {
            extended = encoderAttentionMask.reshape(s.get(0), 1, 1, s.get(1));
        } else {
            throw new IllegalArgumentException("Wrong shape for encoder_attention_mask (shape " + s + "): expected "
                    + "(batch, seq) or (batch, query_seq, key_seq)");
        }
        return invert01(extended.toType(dtype, false), dtype);
    }

    /**
     * {@code _prepare_4d_attention_mask}: (batch, key_len) of 1/0 -> (batch, 1, query_len, key_len) holding 0 or min
     * (a fill, so exactly min where masked).
     */
    public static NDArray prepare4dAttentionMask(NDArray mask, DataType dtype, long queryLength) {
        Shape s = mask.getShape();
        if (s.dimension() != 2) {
            throw new IllegalArgumentException("attention_mask must be (batch, seq), got shape " + s);
        }
        // Python fills where 1 - mask != 0: anything but 1 is masked
        NDArray drop = mask.toType(dtype, false).neq(1f).reshape(s.get(0), 1, 1, s.get(1))
                .broadcast(new Shape(s.get(0), 1, queryLength, s.get(1))); // (B, 1, T, S) bool
        return fill(drop, dtype);
    }

    /**
     * {@code _prepare_4d_causal_attention_mask}: the causal mask of {@code queryLength} new tokens after
     * {@code pastLength} cached ones, as (batch, 1, query_len, past + query_len) of 0 / min; where a 2-D padding mask
     * is given, its padded keys are also set to min (a fill: doubly masked entries are min, not -inf).
     *
     * @param mask (batch, past + query_len) of 1/0, or null for no padding
     */
    public static NDArray prepare4dCausalAttentionMask(NDManager manager, NDArray mask, long batch, long queryLength,
            long pastLength, DataType dtype) {
        long keyLength = pastLength + queryLength;
        NDArray future = causal(manager, queryLength, keyLength).logicalNot(); // (T, S) bool: true = masked
        NDArray drop = future.reshape(1, 1, queryLength, keyLength).broadcast(new Shape(batch, 1, queryLength,
                keyLength));
        if (mask != null) {
            Shape s = mask.getShape();
            if (s.dimension() != 2 || s.get(0) != batch || s.get(1) != keyLength) {
                throw new IllegalArgumentException("Attention mask should be of size (" + batch + ", " + keyLength
                        + ") = (batch, past + new tokens), but is " + s);
            }
            NDArray pad = mask.toType(dtype, false).neq(1f).reshape(batch, 1, 1, keyLength).broadcast(drop.getShape());
            drop = drop.logicalOr(pad);
        }
        return fill(drop, dtype);
    }

    /** (T, S) bool: query i (the i-th of T new tokens after S - T cached ones) may see key j iff j <= S - T + i. */
    public static NDArray causal(NDManager manager, long queryLength, long keyLength) {
        NDArray rows = manager.arange(keyLength - queryLength, keyLength, 1, DataType.INT64).reshape(queryLength, 1);
        NDArray cols = manager.arange(0, keyLength, 1, DataType.INT64).reshape(1, keyLength);
        return cols.lte(rows);
    }

    /**
     * Layer {@code layer}'s slice of a {@code head_mask} as {@code get_head_mask} prepares it: a (heads) mask applies
     * to every layer, a (layers, heads) mask has one row per layer; either becomes (1, heads, 1, 1), multiplying the
     * attention weights. Null stays null.
     */
    public static NDArray layerHeadMask(NDArray headMask, int layer, int numLayers) {
        if (headMask == null) {
            return null;
        }
        Shape s = headMask.getShape();
        if (s.dimension() == 1) {
            return headMask.reshape(1, -1, 1, 1);
        }
        if (s.dimension() == 2 && s.get(0) == numLayers) {
            return headMask.get(layer).reshape(1, -1, 1, 1);
        }
        throw new IllegalArgumentException("head_mask must be (num_heads) or (num_layers = " + numLayers
                + ", num_heads), got shape " + s);
    }

    /** (1 - m) * finfo.min, as Python computes it from a 0/1 float mask. */
    private static NDArray invert01(NDArray mask, DataType dtype) {
        return mask.neg().add(1f).mul(finfoMin(dtype));
    }

    /** 0 where {@code drop} is false, finfo.min where true, in {@code dtype}. */
    private static NDArray fill(NDArray drop, DataType dtype) {
        NDManager m = drop.getManager();
        NDArray zero = m.zeros(drop.getShape(), dtype);
        NDArray min = m.create(finfoMin(dtype)).toType(dtype, false).broadcast(drop.getShape());
        return NDArrays.where(drop, min, zero);
    }
}
