package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;

/**
 * Helpers of eager (matmul + softmax) decoder attention shared by the Llama family: Python's {@code repeat_kv}, the
 * 4-D additive masks of {@code modeling_attn_mask_utils} / {@code _update_causal_mask}, and the float32 softmax.
 *
 * <p>Masks are additive and hold 0 where a query may attend and {@code torch.finfo(dtype).min} where it may not (not
 * -inf): a query row with no visible key (a left-padding position) then softmaxes to a uniform row instead of NaN,
 * exactly as in the reference.
 */
public final class EagerAttention {
    private EagerAttention() {}

    /** {@code torch.finfo(dtype).min}: the value Python's masks use instead of -inf. */
    public static Number finfoMin(DType dtype) {
        switch (dtype) {
            case F64:
                return -Double.MAX_VALUE;
            case F32:
                return -Float.MAX_VALUE;
            case F16:
                return -65504f;
            case BF16:
                return -3.3895313892515355e38f; // float32's max with the low 16 mantissa bits cleared
            default:
                throw new IllegalArgumentException("Attention masks are built in a floating point type, not " + dtype);
        }
    }

    /** Casts a 0/1 mask to {@code dtype} times finfo(dtype).min (bfloat16 through the LibTorch bridge). */
    private static NDArray scaledMask(NDArray blocked, DType dtype) {
        if (dtype.djl() != null) {
            return blocked.toType(dtype.djl(), false).mul(finfoMin(dtype));
        }
        // float32 holds bfloat16's min exactly; the cast is exact.
        return TorchOps.toDType(blocked.toType(DataType.FLOAT32, false).mul(finfoMin(dtype)), dtype);
    }

    /**
     * Python's {@code repeat_kv}: (batch, kv_heads, seq, head_dim) -> (batch, kv_heads * nRep, seq, head_dim), each
     * key/value head repeated for the {@code nRep} query heads of its group (grouped-query attention).
     */
    public static NDArray repeatKv(NDArray x, int nRep) {
        if (nRep == 1) {
            return x;
        }
        Shape s = x.getShape();
        long b = s.get(0);
        long kvHeads = s.get(1);
        long seq = s.get(2);
        long headDim = s.get(3);
        return x.expandDims(2).broadcast(b, kvHeads, nRep, seq, headDim).reshape(b, kvHeads * nRep, seq, headDim);
    }

    /** {@code softmax(w, dim=-1, dtype=torch.float32).to(dtype)}: Python upcasts attention softmax to float32. */
    public static NDArray softmaxInFloat32(NDArray w, DType dtype) {
        NDArray p = JniUtils.softmax((PtNDArray) w, -1, DataType.FLOAT32);
        return dtype == DType.F32 ? p : TorchOps.toDType(p, dtype);
    }

    /**
     * The additive causal mask of a decoder step, (batch or 1, 1, seq, keys): query i may attend key j iff
     * {@code j <= queryPositions[i]}, additionally {@code queryPositions[i] - j <= slidingWindow} when a window is
     * given (Mistral: window + 1 keys including itself), and the padding mask keeps key j.
     *
     * @param manager where the mask is created (the activations' manager)
     * @param queryPositions (seq) int64: the index of each new token in the key sequence (Python's
     *     {@code cache_position}, i.e. past_length + i)
     * @param keyLength number of keys (past + new)
     * @param slidingWindow null for full causal attention
     * @param attentionMask (batch, columns) padding mask, nonzero keeps a key; it covers the first
     *     {@code columns} keys (extra columns are ignored, missing ones keep their key, as Llama's
     *     {@code causal_mask[..., :mask_length]} does, e.g. with a static cache longer than the mask); (batch, 1, seq,
     *     keys) a ready 4-D mask (nonzero keeps an entry, replacing the causal rule as Python does); or null
     * @param dtype the activations' type
     */
    public static NDArray causalMask(NDManager manager, NDArray queryPositions, long keyLength, Integer slidingWindow,
            NDArray attentionMask, DType dtype) {
        long seq = queryPositions.getShape().get(0);
        if (attentionMask != null && attentionMask.getShape().dimension() == 4) {
            Shape s = attentionMask.getShape();
            if (s.get(1) != 1 || s.get(2) != seq || s.get(3) != keyLength) {
                throw new IllegalArgumentException("Incorrect 4D attention_mask shape: " + s + "; expected: (batch, 1, "
                        + seq + ", " + keyLength + ")");
            }
            return scaledMask(attentionMask.eq(0), dtype);
        }
        NDArray rows = queryPositions.toType(DataType.INT64, false).reshape(seq, 1);  // (T, 1)
        NDArray cols = manager.arange(0, keyLength, 1, DataType.INT64).reshape(1, keyLength); // (1, S)
        NDArray allowed = cols.lte(rows);                                             // (T, S)
        if (slidingWindow != null) {
            allowed = allowed.logicalAnd(rows.sub(cols).lte(slidingWindow.longValue()));
        }
        allowed = allowed.reshape(1, 1, seq, keyLength);
        if (attentionMask != null) {
            if (attentionMask.getShape().dimension() != 2) {
                throw new IllegalArgumentException("attention_mask must be (batch, keys) or (batch, 1, seq, keys), got "
                        + "shape " + attentionMask.getShape());
            }
            long batch = attentionMask.getShape().get(0);
            long columns = attentionMask.getShape().get(1);
            NDArray keep = attentionMask.neq(0);
            if (columns > keyLength) {
                keep = keep.get(new NDIndex(":, :{}", keyLength));
            } else if (columns < keyLength) {
                keep = NDArrays.concat(new NDList(keep, manager.ones(new Shape(batch, keyLength - columns),
                        DataType.BOOLEAN)), 1);
            }
            allowed = allowed.logicalAnd(keep.reshape(batch, 1, 1, keyLength)); // (B, 1, T, S)
        }
        // not allowed -> 1 * min, allowed -> 0 * min = -0.0 (adds like 0)
        return scaledMask(allowed.logicalNot(), dtype);
    }
}
