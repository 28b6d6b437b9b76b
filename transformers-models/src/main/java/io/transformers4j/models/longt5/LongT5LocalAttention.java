package io.transformers4j.models.longt5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.models.t5.T5Attention;
import io.transformers4j.nn.Embedding;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;

/**
 * LongT5's local self-attention (encoder only): each token attends to the tokens at most {@code local_radius} away,
 * computed block by block (see {@link LongT5Blocks}). Port of {@code LongT5LocalAttention}
 * (models/longt5/modeling_longt5.py). Like T5: no score scaling, a relative position bias of the first layer shared by
 * all layers, no projection biases. Masked positions get -1e10 (the original implementation's constant), not
 * finfo.min.
 */
final class LongT5LocalAttention {

    /** Python's fill value for masked keys in LongT5's local and global attention. */
    static final float MASKED = -1e10f;

    final int nHeads;
    final int dKv;
    final int blockLen;
    final int numBuckets;
    final int maxDistance;
    final Linear q; // (nh * d_kv, d_model)
    final Linear k;
    final Linear v;
    final Linear o; // (d_model, nh * d_kv)
    final Embedding relativeAttentionBias; // (num_buckets, nh), first layer only

    /**
     * The output (B, S, d_model); the position bias used (masks included) for the next layers; the attention weights
     * (B, num_blocks, nh, block_len, keys) when asked for.
     */
    record Result(NDArray output, NDArray positionBias, NDArray weights) {}

    LongT5LocalAttention(LongT5Config config, Weights w, boolean hasRelativeAttentionBias) {
        this.nHeads = config.numHeads();
        this.dKv = config.dKv();
        this.blockLen = config.blockLen();
        this.numBuckets = config.relativeAttentionNumBuckets();
        this.maxDistance = config.relativeAttentionMaxDistance();
        long inner = (long) nHeads * dKv;
        this.q = new Linear(w.prefix("q"), config.dModel(), inner, false);
        this.k = new Linear(w.prefix("k"), config.dModel(), inner, false);
        this.v = new Linear(w.prefix("v"), config.dModel(), inner, false);
        this.o = new Linear(w.prefix("o"), inner, config.dModel(), false);
        this.relativeAttentionBias = hasRelativeAttentionBias
                ? new Embedding(w.prefix("relative_attention_bias"), numBuckets, nHeads) : null;
    }

    /**
     * Python's {@code compute_bias(block_length)}: (1, 1, nh, bl, 3 * bl), the bias of each middle-block query for
     * each key of the 3 blocks. The encoder's positions are bidirectional.
     */
    NDArray computeBias(NDManager m) {
        NDArray relativePosition = LongT5Blocks.make3BlockRelativePositionIds(m, blockLen); // (bl, 3bl)
        NDArray bucket = T5Attention.relativePositionBucket(relativePosition, true, numBuckets, maxDistance);
        NDArray values = relativeAttentionBias.forward(bucket);           // (bl, 3bl, nh)
        return values.transpose(2, 0, 1).reshape(1, 1, nHeads, blockLen, 3L * blockLen);
    }

    /**
     * @param hidden (B, S, d_model), already layer-normed
     * @param mask the local attention mask (B, 1, nb, bl, 3 * bl) bool, or null; only used when positionBias is null
     * @param positionBias the bias the first layer computed, or null to compute it here
     * @param layerHeadMask (1, nh, 1, 1) or null
     */
    Result forward(NDArray hidden, NDArray mask, NDArray positionBias, NDArray layerHeadMask,
            boolean outputAttentions) {
        long batch = hidden.getShape().get(0);
        long seqLength = hidden.getShape().get(1);
        NDArray query = LongT5Blocks.splitIntoBlocks(shape(q.forward(hidden), batch), blockLen, 1); // (B,nb,bl,nh,d)
        NDArray key = LongT5Blocks.concatenate3Blocks(
                LongT5Blocks.splitIntoBlocks(shape(k.forward(hidden), batch), blockLen, 1), 1, 2, 0f); // (B,nb,3bl,nh,d)
        NDArray value = LongT5Blocks.concatenate3Blocks(
                LongT5Blocks.splitIntoBlocks(shape(v.forward(hidden), batch), blockLen, 1), 1, 2, 0f);

        NDArray scores = scores(query, key); // (B, nb, nh, bl, 3bl)
        if (positionBias == null) {
            positionBias = relativeAttentionBias != null ? computeBias(hidden.getManager())
                    : hidden.getManager().zeros(new Shape(1, 1, nHeads, blockLen, 3L * blockLen), scores.getDataType());
            if (mask != null) {
                // (B, 1, nb, bl, 3bl) -> (B, nb, 1, bl, 3bl), added to every head
                positionBias = positionBias.add(maskBias(mask).transpose(0, 2, 1, 3, 4));
            }
            positionBias = positionBias.toType(scores.getDataType(), false);
        }
        return attend(scores, value, positionBias, layerHeadMask, seqLength, batch, outputAttentions);
    }

    /** 0 where {@code mask} is true, -1e10 where false (float32, as Python's torch.where of Python floats). */
    static NDArray maskBias(NDArray mask) {
        NDManager m = mask.getManager();
        NDArray zero = m.zeros(mask.getShape(), DataType.FLOAT32);
        NDArray masked = m.full(mask.getShape(), MASKED, DataType.FLOAT32);
        return NDArrays.where(mask, zero, masked);
    }

    /** einsum("...qhd,...khd->...hqk"): (B, nb, q, nh, d) x (B, nb, k, nh, d) -> (B, nb, nh, q, k). */
    static NDArray scores(NDArray query, NDArray key) {
        return query.transpose(0, 1, 3, 2, 4).matMul(key.transpose(0, 1, 3, 4, 2));
    }

    /**
     * Softmax (in float32) over scores + bias, head mask, then einsum("...hqk,...khd->...qhd") with the values, the
     * blocks put back in sequence order, the padding cut off and the output projection.
     */
    Result attend(NDArray scores, NDArray value, NDArray positionBias, NDArray layerHeadMask, long seqLength,
            long batch, boolean outputAttentions) {
        scores = scores.add(positionBias);
        NDArray weights = scores.toType(DataType.FLOAT32, false).softmax(-1).toType(scores.getDataType(), false);
        if (layerHeadMask != null) {
            weights = weights.mul(layerHeadMask);
        }
        weights = weights.toType(value.getDataType(), false);
        NDArray out = weights.matMul(value.transpose(0, 1, 3, 2, 4)) // (B, nb, nh, bl, d)
                .transpose(0, 1, 3, 2, 4)                            // (B, nb, bl, nh, d)
                .reshape(batch, -1, (long) nHeads * dKv);            // (B, nb * bl, inner)
        out = out.get(":, :" + seqLength + ", :");                   // drop the block padding
        return new Result(o.forward(out), positionBias, outputAttentions ? weights : null);
    }

    /** (B, S, nh * d) -> (B, S, nh, d). */
    NDArray shape(NDArray x, long batch) {
        return x.reshape(batch, -1, nHeads, dKv);
    }
}
