package io.transformers4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.nn.Conv1D;
import io.transformers4j.weights.Weights;

/**
 * Multi-head attention of GPT-2, eager. Port of {@code GPT2Attention} (models/gpt2/modeling_gpt2.py).
 *
 * <p>Self-attention projects q, k, v with one fused {@code c_attn} (hidden -> 3 * hidden); cross-attention (decoder of
 * an encoder-decoder model) projects q from the decoder with {@code q_attn} and k, v from the encoder with
 * {@code c_attn} (hidden -> 2 * hidden), and has no causal mask.
 *
 * <p>GPT-2's projections are {@link Conv1D}s, not Linears: the original TensorFlow GPT-2 stored its matrices as
 * (in_features, out_features) and Python kept that layout, so checkpoints hold {@code c_attn.weight} as
 * (hidden, 3 * hidden). Conv1D reads them in that layout and computes x W + b (no transpose).
 */
final class GPT2Attention {

    private final int embedDim;
    private final int numHeads;
    private final int headDim;
    private final boolean isCrossAttention;
    private final int layerIdx;
    private final boolean scaleAttnWeights;
    private final boolean scaleAttnByInverseLayerIdx;
    private final boolean reorderAndUpcastAttn;

    private final Conv1D cAttn;  // weight (hidden, 3 * hidden), or (hidden, 2 * hidden) for cross-attention
    private final Conv1D qAttn;  // weight (hidden, hidden); cross-attention only
    private final Conv1D cProj;  // weight (hidden, hidden)

    /** What one attention call returns: the projected output, the updated {key, value}, the weights (or null). */
    record Result(NDArray output, NDArray[] present, NDArray weights) {}

    GPT2Attention(GPT2Config config, Weights w, boolean isCrossAttention, int layerIdx) {
        this.embedDim = config.hiddenSize();
        this.numHeads = config.numAttentionHeads();
        this.headDim = embedDim / numHeads;
        this.isCrossAttention = isCrossAttention;
        this.layerIdx = layerIdx;
        this.scaleAttnWeights = config.scaleAttnWeights();
        this.scaleAttnByInverseLayerIdx = config.scaleAttnByInverseLayerIdx();
        this.reorderAndUpcastAttn = config.reorderAndUpcastAttn();
        // Conv1D(nx = in, nf = out): Python writes Conv1D(nf, nx); ours takes the (in, out) order of the stored weight.
        if (isCrossAttention) {
            this.cAttn = new Conv1D(w.prefix("c_attn"), embedDim, 2L * embedDim);
            this.qAttn = new Conv1D(w.prefix("q_attn"), embedDim, embedDim);
        } else {
            this.cAttn = new Conv1D(w.prefix("c_attn"), embedDim, 3L * embedDim);
            this.qAttn = null;
        }
        this.cProj = new Conv1D(w.prefix("c_proj"), embedDim, embedDim);
        // Python's non-persistent `bias` (the causal tril) and `masked_bias` buffers are recomputed here; older
        // checkpoints still hold them (GPT2Model ignores those keys).
    }

    /**
     * @param hidden (B, T, E)
     * @param layerPast {key, value} of the earlier steps, each (B, nh, P, hs), or null
     * @param attentionMask additive mask broadcastable to (B, nh, T, P + T) (0 keep, finfo.min drop), or null
     * @param headMask multiplies the attention weights, broadcastable to (B, nh, T, S), or null
     * @param encoderHidden (B, S, E) for cross-attention, else null
     * @param encoderAttentionMask additive mask over the encoder positions (cross-attention), or null
     */
    Result forward(NDArray hidden, NDArray[] layerPast, NDArray attentionMask, NDArray headMask, NDArray encoderHidden,
            NDArray encoderAttentionMask, boolean useCache, boolean outputAttentions) {
        NDArray query;
        NDArray key;
        NDArray value;
        if (encoderHidden != null) {
            if (qAttn == null) {
                throw new IllegalArgumentException("If class is used as cross attention, the weights `q_attn` have to "
                        + "be defined: build GPT2Attention with isCrossAttention=true (config.add_cross_attention).");
            }
            query = qAttn.forward(hidden);                                        // (B, T, E)
            NDList kv = cAttn.forward(encoderHidden).split(new long[] {embedDim}, 2); // 2 x (B, S, E)
            key = kv.get(0);
            value = kv.get(1);
            attentionMask = encoderAttentionMask;
        } else {
            NDList qkv = cAttn.forward(hidden).split(new long[] {embedDim, 2L * embedDim}, 2); // 3 x (B, T, E)
            query = qkv.get(0);
            key = qkv.get(1);
            value = qkv.get(2);
        }
        query = splitHeads(query); // (B, nh, T, hs)
        key = splitHeads(key);     // (B, nh, S, hs)
        value = splitHeads(value); // (B, nh, S, hs)

        if (layerPast != null) {
            // The cache's tensors come first so the concatenation lands in the cache's (the caller's) manager.
            key = NDArrays.concat(new NDList(layerPast[0], key), 2);     // (B, nh, P + T, hs)
            value = NDArrays.concat(new NDList(layerPast[1], value), 2); // (B, nh, P + T, hs)
        }
        NDArray[] present = useCache ? new NDArray[] {key, value} : null;

        NDArray weights = reorderAndUpcastAttn
                ? upcastAndReorderedAttn(query, key, value, attentionMask, headMask)
                : attn(query, key, attentionMask, headMask, value.getDataType());
        NDArray output = weights.matMul(value);   // (B, nh, T, hs)
        output = mergeHeads(output);               // (B, T, E)
        output = cProj.forward(output);
        return new Result(output, present, outputAttentions ? weights : null);
    }

    /** Python's {@code _attn}: softmax(q k^T / sqrt(hs) [causal] + mask) [* head_mask]; returns the weights. */
    private NDArray attn(NDArray query, NDArray key, NDArray attentionMask, NDArray headMask, DataType valueType) {
        NDArray w = query.matMul(key.transpose(0, 1, 3, 2)); // (B, nh, T, S)
        if (scaleAttnWeights) {
            // Python divides by a float tensor holding sqrt(head_dim) (not a multiply by its inverse).
            w = w.div((float) Math.sqrt(headDim));
        }
        if (scaleAttnByInverseLayerIdx) {
            w = w.div((float) (layerIdx + 1));
        }
        w = maskAndSoftmax(w, query.getShape().get(2), key.getShape().get(2), attentionMask);
        w = w.toType(valueType, false);
        if (headMask != null) {
            w = w.mul(headMask);
        }
        return w;
    }

    /**
     * Python's {@code _upcast_and_reordered_attn} (Megatron-LM's recipe for mixed precision): q k^T in float32 with
     * the scale folded into the product (baddbmm's alpha), the softmax in float32, then back to v's dtype.
     */
    private NDArray upcastAndReorderedAttn(NDArray query, NDArray key, NDArray value, NDArray attentionMask,
            NDArray headMask) {
        double scale = 1.0;
        if (scaleAttnWeights) {
            scale /= Math.sqrt(headDim);
        }
        if (scaleAttnByInverseLayerIdx) {
            scale /= layerIdx + 1;
        }
        NDArray q = query.toType(DataType.FLOAT32, false);
        NDArray k = key.toType(DataType.FLOAT32, false);
        NDArray w = q.matMul(k.transpose(0, 1, 3, 2)).mul((float) scale); // (B, nh, T, S) float32
        w = maskAndSoftmax(w, query.getShape().get(2), key.getShape().get(2), attentionMask);
        w = w.toType(value.getDataType(), false);
        if (headMask != null) {
            w = w.mul(headMask);
        }
        return w;
    }

    /**
     * The causal mask as Python applies it, then the padding mask, then softmax over the keys.
     *
     * <p>Python keeps a (max_positions, max_positions) lower-triangular buffer and slices rows
     * [S - T, S): query i (of the T new tokens) sees keys j <= S - T + i. Masked scores are replaced with
     * finfo(dtype).min by {@code where}, and the padding mask (0 or finfo.min) is added afterwards, so a score that is
     * both causally masked and padded becomes min + min = -inf. A padded query row whose visible keys are all padding
     * then holds min at those keys and -inf elsewhere: a uniform softmax over the visible keys, as in the reference.
     */
    private NDArray maskAndSoftmax(NDArray w, long queryLength, long keyLength, NDArray attentionMask) {
        if (!isCrossAttention) {
            NDManager m = w.getManager();
            int s = Math.toIntExact(keyLength);
            int t = Math.toIntExact(queryLength);
            NDArray rows = m.arange(s - t, s, 1, DataType.INT64).reshape(t, 1); // query positions
            NDArray cols = m.arange(0, s, 1, DataType.INT64).reshape(1, s);     // key positions
            NDArray causal = cols.lte(rows);                                   // (T, S) bool
            NDArray min = GPT2Model.finfoMin(m, w.getDataType());
            // DJL's where does not broadcast: expand the mask and the fill value (views, no copies) to w's shape.
            w = NDArrays.where(causal.broadcast(w.getShape()), w, min.broadcast(w.getShape()));
        }
        if (attentionMask != null) {
            w = w.add(attentionMask);
        }
        return w.softmax(-1);
    }

    /** (B, T, E) -> (B, nh, T, hs). */
    private NDArray splitHeads(NDArray x) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        return x.reshape(b, t, numHeads, headDim).transpose(0, 2, 1, 3);
    }

    /** (B, nh, T, hs) -> (B, T, E). */
    private NDArray mergeHeads(NDArray x) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(2);
        return x.transpose(0, 2, 1, 3).reshape(b, t, (long) numHeads * headDim);
    }
}
