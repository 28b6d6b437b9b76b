package io.transformers4j.models.longt5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.models.t5.T5Attention;
import io.transformers4j.models.t5.T5LayerNorm;
import io.transformers4j.nn.Embedding;
import io.transformers4j.weights.Weights;

/**
 * LongT5's transient-global self-attention (encoder only): local attention, plus attention to one "global" token per
 * {@code global_block_size} input tokens. A global token is the sum of its block's hidden states, RMS-normalised
 * ({@code global_input_layer_norm}); it is rebuilt in every layer ("transient"), and its keys/values come from the
 * layer's own k and v projections. Port of {@code LongT5TransientGlobalAttention} (models/longt5/modeling_longt5.py).
 *
 * <p>Token-to-global positions get their own relative bias table ({@code global_relative_attention_bias}, first layer
 * only), indexed by global block - token's block.
 */
final class LongT5TransientGlobalAttention {

    private final LongT5LocalAttention local; // q, k, v, o, relative_attention_bias: the same parameters and helpers
    private final int globalBlockSize;
    private final Embedding globalRelativeAttentionBias; // (num_buckets, nh), first layer only
    private final T5LayerNorm globalInputLayerNorm;

    LongT5TransientGlobalAttention(LongT5Config config, Weights w, boolean hasRelativeAttentionBias) {
        this.local = new LongT5LocalAttention(config, w, hasRelativeAttentionBias);
        this.globalBlockSize = config.globalBlockSize();
        this.globalRelativeAttentionBias = hasRelativeAttentionBias
                ? new Embedding(w.prefix("global_relative_attention_bias"), config.relativeAttentionNumBuckets(),
                        config.numHeads())
                : null;
        this.globalInputLayerNorm = new T5LayerNorm(w.prefix("global_input_layer_norm"), config.dModel(),
                config.layerNormEpsilon());
    }

    /**
     * @param hidden (B, S, d_model), already layer-normed
     * @param mask the raw attention mask (B, S) of 1/0, or null
     * @param positionBias the bias the first layer computed (local and side, masks included), or null
     */
    LongT5LocalAttention.Result forward(NDArray hidden, NDArray mask, NDArray positionBias, NDArray layerHeadMask,
            boolean outputAttentions) {
        NDManager m = hidden.getManager();
        long batch = hidden.getShape().get(0);
        long seqLength = hidden.getShape().get(1);
        int blockLen = local.blockLen;
        NDArray blockMask = mask != null ? mask : m.ones(new Shape(batch, seqLength));

        // global inputs: (B, G, d_model), G = S // global_block_size
        LongT5Blocks.GlobalBlockIds ids = LongT5Blocks.makeGlobalFixedBlockIds(blockMask, globalBlockSize);
        long globalSeqLen = ids.globalSegmentIds().getShape().get(1);
        NDArray globalInputs = globalInputLayerNorm.forward(
                LongT5Blocks.createGlobalAggregates(hidden, ids.blockIds(), globalSeqLen));

        NDArray query = LongT5Blocks.splitIntoBlocks(local.shape(local.q.forward(hidden), batch), blockLen, 1);
        NDArray key = LongT5Blocks.concatenate3Blocks(
                LongT5Blocks.splitIntoBlocks(local.shape(local.k.forward(hidden), batch), blockLen, 1), 1, 2, 0f);
        NDArray value = LongT5Blocks.concatenate3Blocks(
                LongT5Blocks.splitIntoBlocks(local.shape(local.v.forward(hidden), batch), blockLen, 1), 1, 2, 0f);
        long numBlocks = key.getShape().get(1);
        // side keys/values of the global tokens, the same for every block: (B, nb, G, nh, d)
        Shape tiled = new Shape(batch, numBlocks, globalSeqLen, local.nHeads, local.dKv);
        NDArray sideKey = local.shape(local.k.forward(globalInputs), batch).expandDims(1).broadcast(tiled);
        NDArray sideValue = local.shape(local.v.forward(globalInputs), batch).expandDims(1).broadcast(tiled);
        key = NDArrays.concat(new NDList(key, sideKey), 2);       // (B, nb, 3bl + G, nh, d)
        value = NDArrays.concat(new NDList(value, sideValue), 2);

        NDArray scores = LongT5LocalAttention.scores(query, key); // (B, nb, nh, bl, 3bl + G)
        if (positionBias == null) {
            NDArray bias = local.relativeAttentionBias != null ? local.computeBias(m)
                    : m.zeros(new Shape(1, 1, local.nHeads, blockLen, 3L * blockLen), scores.getDataType());
            if (mask != null) {
                NDArray localMask = LongT5Blocks.localAttentionMask(mask, blockLen);        // (B, 1, nb, bl, 3bl)
                bias = bias.add(LongT5LocalAttention.maskBias(localMask).transpose(0, 2, 1, 3, 4));
            }
            bias = bias.toType(scores.getDataType(), false)
                    .broadcast(batch, numBlocks, local.nHeads, blockLen, 3L * blockLen);
            // (B, nh, S, G) -> (B, nb, nh, bl, G)
            NDArray side = LongT5Blocks.splitIntoBlocks(computeSideBias(blockMask, ids), blockLen, -2)
                    .transpose(0, 2, 1, 3, 4).toType(scores.getDataType(), false);
            positionBias = NDArrays.concat(new NDList(bias, side), 4); // (B, nb, nh, bl, 3bl + G)
        }
        return local.attend(scores, value, positionBias, layerHeadMask, seqLength, batch, outputAttentions);
    }

    /**
     * Python's {@code compute_side_bias}: (B, nh, S, G). A token may attend a global token when its mask value equals
     * the global segment id (real tokens see the global blocks that hold real tokens; padding sees the empty ones),
     * else -1e10; plus the relative bias of global block - token block.
     */
    private NDArray computeSideBias(NDArray mask, LongT5Blocks.GlobalBlockIds ids) {
        NDArray maskF = mask.toType(DataType.FLOAT32, false);
        NDArray segments = ids.globalSegmentIds().toType(DataType.FLOAT32, false);
        NDArray sideAttentionMask = maskF.expandDims(-1).eq(segments.expandDims(1)).expandDims(1); // (B, 1, S, G)
        NDArray attentionSideBias = LongT5LocalAttention.maskBias(sideAttentionMask);
        NDArray sideRelativePosition = LongT5Blocks.makeSideRelativePositionIds(ids); // (B, S, G)
        NDArray bucket = T5Attention.relativePositionBucket(sideRelativePosition, true, local.numBuckets,
                local.maxDistance);
        NDArray sideBias = globalRelativeAttentionBias.forward(bucket).transpose(0, 3, 1, 2); // (B, nh, S, G)
        return attentionSideBias.add(sideBias);
    }
}
