package io.transformers4j.models.longt5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * The block bookkeeping of LongT5's efficient attentions: Python's module-level helpers {@code _pad_to_multiple},
 * {@code _split_into_blocks}, {@code _concatenate_3_blocks}, {@code _make_3block_relative_position_ids},
 * {@code _get_local_attention_mask}, {@code _make_global_fixed_block_ids}, {@code _make_side_relative_position_ids}
 * and {@code _create_global_aggregates} (models/longt5/modeling_longt5.py).
 *
 * <p>The sequence is cut into blocks of {@code block_len = local_radius + 1} tokens (zero-padded at the end); each
 * block's queries see the keys of the previous, the same and the next block (3 * block_len keys), of which those
 * farther than local_radius are masked. Cost and memory are therefore linear in the sequence length.
 */
final class LongT5Blocks {
    private LongT5Blocks() {}

    /** Pads dimension {@code dim} of {@code x} at its end with {@code padValue} to a multiple of {@code blockLen}. */
    static NDArray padToMultiple(NDArray x, int blockLen, int dim, float padValue) {
        long[] shape = x.getShape().getShape();
        int d = dim < 0 ? shape.length + dim : dim;
        long padLen = Math.floorMod(-shape[d], blockLen);
        if (padLen == 0) {
            return x;
        }
        long[] padShape = shape.clone();
        padShape[d] = padLen;
        NDArray pad = x.getManager().full(new Shape(padShape), padValue, x.getDataType());
        return NDArrays.concat(new NDList(x, pad), d);
    }

    /** (..., S, ...) along {@code dim} -> (..., num_blocks, block_len, ...), padding with zeros first. */
    static NDArray splitIntoBlocks(NDArray x, int blockLen, int dim) {
        long[] shape = x.getShape().getShape();
        int d = dim < 0 ? shape.length + dim : dim;
        x = padToMultiple(x, blockLen, d, 0f);
        long[] padded = x.getShape().getShape();
        long[] out = new long[padded.length + 1];
        System.arraycopy(padded, 0, out, 0, d);
        out[d] = padded[d] / blockLen;
        out[d + 1] = blockLen;
        System.arraycopy(padded, d + 1, out, d + 2, padded.length - d - 1);
        return x.reshape(new Shape(out));
    }

    /**
     * For every block, the previous, own and next block side by side (zero blocks beyond the ends): (B, nb, bl, ...)
     * -> (B, nb, 3 * bl, ...) along {@code sequenceDim}.
     */
    static NDArray concatenate3Blocks(NDArray x, int blockDim, int sequenceDim, float padValue) {
        long[] shape = x.getShape().getShape();
        long numBlocks = shape[blockDim];
        long[] padShape = shape.clone();
        padShape[blockDim] = 1;
        NDArray pad = x.getManager().full(new Shape(padShape), padValue, x.getDataType());
        NDArray padded = NDArrays.concat(new NDList(pad, x, pad), blockDim); // (B, nb + 2, bl, ...)
        NDList parts = new NDList();
        for (int i = 0; i < 3; i++) {
            parts.add(padded.get(sliceAt(shape.length, blockDim, i, i + numBlocks)));
        }
        return NDArrays.concat(parts, sequenceDim);
    }

    /** An index selecting [from, to) along {@code dim} and everything along the other dimensions. */
    private static NDIndex sliceAt(int ndim, int dim, long from, long to) {
        String[] parts = new String[ndim];
        Arrays.fill(parts, ":");
        parts[dim] = from + ":" + to;
        return new NDIndex(String.join(",", parts));
    }

    /** (bl, 3 * bl): key position j of the 3 blocks minus query position i of the middle block. */
    static NDArray make3BlockRelativePositionIds(NDManager m, int blockLen) {
        NDArray positionIds = m.arange(0, 3 * blockLen, 1, DataType.INT64);
        NDArray center = positionIds.get(blockLen + ":" + (2 * blockLen));
        return positionIds.reshape(1, 3 * blockLen).sub(center.reshape(blockLen, 1));
    }

    /**
     * Python's {@code _get_local_attention_mask}: (B, S) of 1/0 -> (B, 1, nb, bl, 3 * bl) bool, true where query and
     * key are both real tokens and at most local_radius apart.
     */
    static NDArray localAttentionMask(NDArray attentionMask, int blockLen) {
        NDArray mask = attentionMask.toType(DataType.FLOAT32, false).neq(0f); // bool
        NDArray blocked = splitIntoBlocks(mask.toType(DataType.FLOAT32, false), blockLen, 1);   // (B, nb, bl)
        NDArray threeBlocked = concatenate3Blocks(blocked, 1, 2, 0f);                           // (B, nb, 3bl)
        NDArray local = blocked.expandDims(-1).neq(0f).logicalAnd(threeBlocked.expandDims(-2).neq(0f)); // (B,nb,bl,3bl)
        NDArray locality = make3BlockRelativePositionIds(attentionMask.getManager(), blockLen).abs().lt(blockLen);
        local = local.logicalAnd(locality.reshape(1, 1, blockLen, 3L * blockLen).broadcast(local.getShape()));
        return local.expandDims(1); // (B, 1, nb, bl, 3bl)
    }

    /** Per token its global block id (-1 for padding) and per global block 1 when it holds a real token, else 0. */
    record GlobalBlockIds(NDArray blockIds, NDArray globalSegmentIds) {}

    /**
     * Python's {@code _make_global_fixed_block_ids}: token t belongs to global block floor(t / global_block_size),
     * computed as Python does, through a float32 running sum of 1 / global_block_size; padding tokens get -1; a final
     * block shorter than global_block_size (orphan tokens) joins the block before it.
     *
     * @param attentionMask (B, S) of 1/0
     * @return block ids (B, S) int64 and segment ids (B, S // global_block_size) int64
     */
    static GlobalBlockIds makeGlobalFixedBlockIds(NDArray attentionMask, int globalBlockSize) {
        NDManager m = attentionMask.getManager();
        long batch = attentionMask.getShape().get(0);
        long seqLen = attentionMask.getShape().get(1);
        NDArray mask = attentionMask.toType(DataType.FLOAT32, false);

        NDArray fixedBlockMask = mask.onesLike().div((float) globalBlockSize);
        fixedBlockMask = fixedBlockMask.cumSum(1).sub(fixedBlockMask);
        NDArray plusMinus = NDArrays.where(mask.neq(0f), mask.onesLike(), mask.onesLike().mul(-1000f));
        NDArray globalBlockIds = plusMinus.add(fixedBlockMask).sub(1f).floor();
        globalBlockIds = globalBlockIds.maximum(-1f);
        // padding tokens -> -1
        globalBlockIds = globalBlockIds.mul(mask).add(mask.sub(1f)).toType(DataType.INT64, false);

        // handle_orphan_tokens
        NDArray blockEnds = m.arange(0, seqLen, 1, DataType.INT64).mod(globalBlockSize).eq(globalBlockSize - 1);
        NDArray trueBlockEnds = blockEnds.reshape(1, seqLen).broadcast(globalBlockIds.getShape())
                .logicalAnd(globalBlockIds.gte(0));
        NDArray fullBlocks = trueBlockEnds.toType(DataType.INT64, false).sum(new int[] {-1}, true).sub(1); // (B, 1)
        fullBlocks = fullBlocks.broadcast(globalBlockIds.getShape());
        globalBlockIds = NDArrays.where(globalBlockIds.lt(fullBlocks), globalBlockIds, fullBlocks);

        long numGlobals = seqLen / globalBlockSize;
        NDArray segmentIds;
        if (numGlobals > 0) {
            NDArray maxIds = globalBlockIds.max(new int[] {-1}, true).broadcast(batch, numGlobals);
            NDArray segments = m.arange(0, numGlobals, 1, DataType.INT64).reshape(1, numGlobals)
                    .broadcast(batch, numGlobals);
            segmentIds = segments.lte(maxIds).toType(DataType.INT64, false);
        } else {
            segmentIds = m.zeros(new Shape(batch, 0), DataType.INT64);
        }
        return new GlobalBlockIds(globalBlockIds, segmentIds);
    }

    /** Python's {@code _make_side_relative_position_ids}: (B, S, G) = global position g - block id of token s. */
    static NDArray makeSideRelativePositionIds(GlobalBlockIds ids) {
        long globalSeqLen = ids.globalSegmentIds().getShape().get(1);
        NDArray globalPositions = ids.blockIds().getManager().arange(0, globalSeqLen, 1, DataType.INT64);
        return globalPositions.reshape(1, 1, globalSeqLen).sub(ids.blockIds().expandDims(-1));
    }

    /**
     * Python's {@code _create_global_aggregates}: the global inputs (B, G, D), each the sum of the hidden states of its
     * block's tokens (padding, id -1, belongs to none).
     */
    static NDArray createGlobalAggregates(NDArray hidden, NDArray blockIds, long globalSeqLen) {
        // one_hot(block_ids with -1 -> G, G + 1)[..., :G]
        NDArray ids = NDArrays.where(blockIds.gte(0), blockIds, blockIds.onesLike().mul(globalSeqLen));
        NDArray oneHot = ids.oneHot((int) globalSeqLen + 1, hidden.getDataType())
                .get(":, :, :" + globalSeqLen);                                 // (B, S, G)
        return oneHot.transpose(0, 2, 1).matMul(hidden);                         // (B, G, D)
    }
}
