package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.DecodeAttention;
import io.transformers4j.torch.TorchOps;

/**
 * The attention core of Python's {@code LlamaSdpaAttention} (and Mistral's, Persimmon's): {@code repeat_kv} then
 * {@code F.scaled_dot_product_attention(q, k, v, attn_mask=causal_mask[..., :keys])}, LibTorch's fused kernel in
 * place of eager matmul + softmax + matmul. It gives the eager path's result to float rounding (the fused kernel
 * accumulates in float32 for half types, as eager's float32 softmax does), but never the attention probabilities:
 * callers keep the eager path when {@code output_attentions} is asked for, as Python does.
 */
public final class SdpaAttention {
    private SdpaAttention() {}

    /**
     * @param query (batch, heads, seq, head_dim)
     * @param key (batch, kv_heads, keys, head_dim), heads a multiple of kv_heads (grouped-query attention)
     * @param value as key
     * @param mask additive (batch or 1, 1, seq, columns), of query's dtype, or null for no mask. With more columns
     *     than keys only the first {@code keys} are used (Python's {@code causal_mask[..., :keys]}); with fewer, only
     *     the first {@code columns} keys are attended: a preallocated cache (StaticCache) passes the written prefix
     *     this way, its other slots being masked for every query anyway
     * @return (batch, heads, seq, head_dim), softmax(q k^T / sqrt(head_dim) + mask) v
     */
    public static NDArray attention(NDArray query, NDArray key, NDArray value, NDArray mask) {
        Shape qs = query.getShape();
        Shape ks = key.getShape();
        long batch = qs.get(0);
        long heads = qs.get(1);
        long seq = qs.get(2);
        long headDim = qs.get(3);
        long kvHeads = ks.get(1);
        long keys = ks.get(2);
        int nRep = Math.toIntExact(heads / kvHeads);
        if (mask != null && mask.getShape().get(3) > keys) {
            mask = mask.get(new NDIndex(":, :, :, :{}", keys)); // Python: causal_mask[:, :, :, : key_states.shape[-2]]
        } else if (mask != null && mask.getShape().get(3) < keys) {
            keys = mask.getShape().get(3);
            key = key.get(new NDIndex(":, :, :{}", keys));     // views: no copy
            value = value.get(new NDIndex(":, :, :{}", keys));
        }
        if (seq == 1) {
            // One new token: the nRep query heads of a group become nRep query rows against the group's single
            // key/value head, (B, kvh, nRep, hd). Each row is the same dot products and softmax as with repeat_kv,
            // without copying the cached keys and values nRep times on every step. The (B, 1, 1, keys) mask is the
            // same for every row and broadcasts. A few rows per head are what DecodeAttention's kernel is for;
            // LibTorch's fused kernel computes where it does not run.
            NDArray grouped = nRep > 1 ? query.reshape(batch, kvHeads, nRep, headDim) : query;
            NDArray out = DecodeAttention.attention(grouped, key, value, mask);
            if (out == null) {
                out = TorchOps.scaledDotProductAttention(grouped, key, value, mask, false, null);
            }
            return nRep > 1 ? out.reshape(batch, heads, 1, headDim) : out;
        }
        NDArray k = EagerAttention.repeatKv(key, nRep);   // (B, nh, S, hd)
        NDArray v = EagerAttention.repeatKv(value, nRep); // (B, nh, S, hd)
        NDArray out = TorchOps.scaledDotProductAttention(query, k, v, mask, false, null);
        if (nRep > 1) {
            // repeat_kv's copies (nRep times the cache) are dead once the kernel returns: free them now, not when the
            // layer's scope closes
            k.close();
            v.close();
        }
        return out;
    }
}
