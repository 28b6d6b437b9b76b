package io.transformers4j.models.blenderbot_small;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;

/**
 * Multi-head attention of "Attention Is All You Need", eager. Port of {@code BlenderbotSmallAttention} (a copy of
 * BartAttention): q, k, v and out projections with biases, the query scaled by head_dim^-0.5 before q·k.
 */
final class BlenderbotSmallAttention {

    private final int embedDim;
    private final int numHeads;
    private final int headDim;
    private final float scaling;
    private final boolean isDecoder;
    private final Linear kProj; // (embed, embed) + bias
    private final Linear vProj;
    private final Linear qProj;
    private final Linear outProj;

    /** The output (B, T, E); the weights (B, nh, T, S) when asked for; {key, value} when a decoder attention. */
    record Result(NDArray output, NDArray weights, NDArray[] present) {}

    BlenderbotSmallAttention(Weights w, int embedDim, int numHeads, boolean isDecoder) {
        this.embedDim = embedDim;
        this.numHeads = numHeads;
        this.headDim = embedDim / numHeads;
        if (headDim * numHeads != embedDim) {
            throw new IllegalArgumentException("embed_dim must be divisible by num_heads (got `embed_dim`: " + embedDim
                    + " and `num_heads`: " + numHeads + ").");
        }
        this.scaling = (float) Math.pow(headDim, -0.5);
        this.isDecoder = isDecoder;
        this.kProj = new Linear(w.prefix("k_proj"), embedDim, embedDim, true);
        this.vProj = new Linear(w.prefix("v_proj"), embedDim, embedDim, true);
        this.qProj = new Linear(w.prefix("q_proj"), embedDim, embedDim, true);
        this.outProj = new Linear(w.prefix("out_proj"), embedDim, embedDim, true);
    }

    /**
     * @param hidden (B, T, E)
     * @param keyValueStates the encoder output (B, S, E) for cross-attention, else null
     * @param pastKeyValue {key, value} (B, nh, P, hd), or null
     * @param attentionMask additive (B, 1, T, S), or null
     * @param layerHeadMask (1, nh, 1, 1) or null
     */
    Result forward(NDArray hidden, NDArray keyValueStates, NDArray[] pastKeyValue, NDArray attentionMask,
            NDArray layerHeadMask, boolean outputAttentions) {
        boolean isCrossAttention = keyValueStates != null;
        long bsz = hidden.getShape().get(0);
        long tgtLen = hidden.getShape().get(1);

        NDArray query = qProj.forward(hidden).mul(scaling);
        NDArray key;
        NDArray value;
        if (isCrossAttention && pastKeyValue != null
                && pastKeyValue[0].getShape().get(2) == keyValueStates.getShape().get(1)) {
            key = pastKeyValue[0]; // reuse the encoder's keys/values
            value = pastKeyValue[1];
        } else if (isCrossAttention) {
            key = shape(kProj.forward(keyValueStates), bsz);
            value = shape(vProj.forward(keyValueStates), bsz);
        } else if (pastKeyValue != null) {
            // the cache first, so the concatenation lands in the cache's (the caller's) manager
            key = NDArrays.concat(new NDList(pastKeyValue[0], shape(kProj.forward(hidden), bsz)), 2);
            value = NDArrays.concat(new NDList(pastKeyValue[1], shape(vProj.forward(hidden), bsz)), 2);
        } else {
            key = shape(kProj.forward(hidden), bsz);
            value = shape(vProj.forward(hidden), bsz);
        }
        NDArray[] present = isDecoder ? new NDArray[] {key, value} : null;

        NDArray q = shape(query, bsz);                            // (B, nh, T, hd)
        NDArray weights = q.matMul(key.transpose(0, 1, 3, 2));    // (B, nh, T, S)
        long srcLen = key.getShape().get(2);
        if (attentionMask != null) {
            long[] ms = attentionMask.getShape().getShape();
            if (ms.length != 4 || ms[0] != bsz || ms[1] != 1 || ms[2] != tgtLen || ms[3] != srcLen) {
                throw new IllegalArgumentException("Attention mask should be of size (" + bsz + ", 1, " + tgtLen
                        + ", " + srcLen + "), but is " + attentionMask.getShape());
            }
            weights = weights.add(attentionMask);
        }
        weights = weights.softmax(-1);
        if (layerHeadMask != null) {
            weights = weights.mul(layerHeadMask);
        }
        NDArray output = weights.matMul(value);                              // (B, nh, T, hd)
        output = output.transpose(0, 2, 1, 3).reshape(bsz, tgtLen, embedDim); // (B, T, E)
        output = outProj.forward(output);
        return new Result(output, outputAttentions ? weights : null, present);
    }

    /** (B, T, E) -> (B, nh, T, hd). */
    private NDArray shape(NDArray x, long bsz) {
        return x.reshape(bsz, -1, numHeads, headDim).transpose(0, 2, 1, 3);
    }
}
