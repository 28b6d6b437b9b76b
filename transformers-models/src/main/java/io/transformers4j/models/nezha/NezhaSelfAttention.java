package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;

/**
 * Multi-head attention with NEZHA's functional relative positions, eager. Port of {@code NezhaSelfAttention}
 * (models/nezha/modeling_nezha.py).
 *
 * <p>Besides q·k, each score gets q·r(i, j), where r is the sinusoidal vector of the clipped distance j - i; and the
 * context gets sum_j p(i, j) r(i, j) on top of the weighted values (Shaw et al., with fixed sinusoids). Python
 * indexes the relative table with the KEY length for both query and key dimensions, so queries and keys must be equally
 * many: a decoder cache (new queries < keys) or cross-attention over an encoder of another length fails in Python, and
 * fails here with a message saying so.
 */
final class NezhaSelfAttention {

    private final int numHeads;
    private final int headSize;
    private final boolean isDecoder;
    private final Linear query; // (all_head, hidden) + bias
    private final Linear key;
    private final Linear value;

    record Result(NDArray context, NDArray probs, NDArray[] present) {}

    NezhaSelfAttention(NezhaConfig config, Weights w) {
        this.numHeads = config.numAttentionHeads();
        this.headSize = config.hiddenSize() / numHeads;
        this.isDecoder = config.isDecoder();
        long allHead = (long) numHeads * headSize;
        this.query = new Linear(w.prefix("query"), config.hiddenSize(), allHead, true);
        this.key = new Linear(w.prefix("key"), config.hiddenSize(), allHead, true);
        this.value = new Linear(w.prefix("value"), config.hiddenSize(), allHead, true);
    }

    /**
     * @param hidden (B, F, hidden)
     * @param attentionMask additive, broadcastable to (B, nh, F, T), or null
     * @param headMask (1, nh, 1, 1) or null
     * @param encoderHidden (B, T, hidden) for cross-attention, else null
     * @param pastKeyValue {key, value} (B, nh, P, hs) of this attention, or null
     * @param relativePositions the encoding of the layers' relative positions, {@link NezhaRelativePositionsEncoding}
     */
    Result forward(NDArray hidden, NDArray attentionMask, NDArray headMask, NDArray encoderHidden,
            NDArray encoderAttentionMask, NDArray[] pastKeyValue, NezhaRelativePositionsEncoding relativePositions,
            boolean outputAttentions) {
        NDArray mixedQuery = query.forward(hidden);
        boolean isCrossAttention = encoderHidden != null;
        NDArray keyLayer;
        NDArray valueLayer;
        if (isCrossAttention && pastKeyValue != null) {
            keyLayer = pastKeyValue[0]; // reuse the encoder's keys/values
            valueLayer = pastKeyValue[1];
            attentionMask = encoderAttentionMask;
        } else if (isCrossAttention) {
            keyLayer = transposeForScores(key.forward(encoderHidden));
            valueLayer = transposeForScores(value.forward(encoderHidden));
            attentionMask = encoderAttentionMask;
        } else if (pastKeyValue != null) {
            keyLayer = NDArrays.concat(new NDList(pastKeyValue[0], transposeForScores(key.forward(hidden))), 2);
            valueLayer = NDArrays.concat(new NDList(pastKeyValue[1], transposeForScores(value.forward(hidden))), 2);
        } else {
            keyLayer = transposeForScores(key.forward(hidden));
            valueLayer = transposeForScores(value.forward(hidden));
        }
        NDArray queryLayer = transposeForScores(mixedQuery); // (B, nh, F, hs)
        NDArray[] present = isDecoder ? new NDArray[] {keyLayer, valueLayer} : null;

        NDArray scores = queryLayer.matMul(keyLayer.transpose(0, 1, 3, 2)); // (B, nh, F, T)
        long batch = scores.getShape().get(0);
        long from = scores.getShape().get(2);
        long to = scores.getShape().get(3);
        if (from != to) {
            throw new UnsupportedOperationException("NEZHA's relative positions need as many queries as keys (Python "
                    + "indexes them by the key length in both dimensions); got " + from + " queries over " + to
                    + " keys: a past_key_values cache or cross-attention over an encoder output of another length is "
                    + "not supported");
        }
        NDArray relations = relativePositions.forward(hidden.getManager(), to); // (T, T, hs)

        // q·r: per query position i, (B*nh, hs) x (hs, T)
        NDArray queryR = queryLayer.transpose(2, 0, 1, 3).reshape(from, batch * numHeads, headSize);
        NDArray keyPositionScores = queryR.matMul(relations.transpose(0, 2, 1))  // (F, B*nh, T)
                .reshape(from, batch, numHeads, to).transpose(1, 2, 0, 3);       // (B, nh, F, T)
        scores = scores.add(keyPositionScores).div((float) Math.sqrt(headSize));
        if (attentionMask != null) {
            scores = scores.add(attentionMask);
        }
        NDArray probs = scores.softmax(-1); // dropout is the identity at inference
        if (headMask != null) {
            probs = probs.mul(headMask);
        }

        NDArray context = probs.matMul(valueLayer); // (B, nh, F, hs)
        // sum_j p(i, j) r(i, j): per query position i, (B*nh, T) x (T, hs)
        NDArray probsR = probs.transpose(2, 0, 1, 3).reshape(from, batch * numHeads, to);
        NDArray valuePositionScores = probsR.matMul(relations)                   // (F, B*nh, hs)
                .reshape(from, batch, numHeads, headSize).transpose(1, 2, 0, 3); // (B, nh, F, hs)
        context = context.add(valuePositionScores);
        context = context.transpose(0, 2, 1, 3).reshape(batch, from, (long) numHeads * headSize); // (B, F, hidden)
        return new Result(context, outputAttentions ? probs : null, present);
    }

    /** (B, T, nh * hs) -> (B, nh, T, hs). */
    private NDArray transposeForScores(NDArray x) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        return x.reshape(b, t, numHeads, headSize).transpose(0, 2, 1, 3);
    }
}
