package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.torch.TorchOps;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.nn.Embedding;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;

/**
 * Eager multi-head attention: self-attention, or cross-attention over an encoder's hidden states. Port of
 * {@code BertSelfAttention} (modeling_bert.py), including the relative position scores of
 * {@code position_embedding_type} "relative_key" (Shaw et al.) and "relative_key_query" (Huang et al., method 4).
 */
final class BertSelfAttention {

    /** What one attention call yields: the context, the probabilities (when asked), the decoder's key/value cache. */
    record Output(NDArray context, NDArray probs, NDArray[] presentKeyValue) {}

    final Linear query;
    final Linear key;
    final Linear value;
    final Embedding distanceEmbedding; // (2 * max_position_embeddings - 1, head_size), relative types only
    private final int numHeads;
    private final int headSize;
    private final int allHeadSize;
    private final String positionEmbeddingType;
    private final int maxPositionEmbeddings;
    private final boolean isDecoder;

    BertSelfAttention(BertConfig config, Weights w, String positionEmbeddingType) {
        int hidden = config.hiddenSize();
        if (hidden % config.numAttentionHeads() != 0) {
            throw new IllegalArgumentException("The hidden size (" + hidden + ") is not a multiple of the number of "
                    + "attention heads (" + config.numAttentionHeads() + ")");
        }
        this.numHeads = config.numAttentionHeads();
        this.headSize = hidden / numHeads;
        this.allHeadSize = numHeads * headSize;
        this.query = new Linear(w.prefix("query"), hidden, allHeadSize, true);
        this.key = new Linear(w.prefix("key"), hidden, allHeadSize, true);
        this.value = new Linear(w.prefix("value"), hidden, allHeadSize, true);
        this.positionEmbeddingType = positionEmbeddingType;
        this.maxPositionEmbeddings = config.maxPositionEmbeddings();
        this.distanceEmbedding = isRelative()
                ? new Embedding(w.prefix("distance_embedding"), 2L * maxPositionEmbeddings - 1, headSize)
                : null;
        this.isDecoder = config.isDecoder();
    }

    private boolean isRelative() {
        return positionEmbeddingType.equals("relative_key") || positionEmbeddingType.equals("relative_key_query");
    }

    /** (batch, seq, all_head) -> (batch, heads, seq, head_size). */
    private NDArray transposeForScores(NDArray x) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), numHeads, headSize).transpose(0, 2, 1, 3);
    }

    /**
     * @param hidden (batch, q_len, hidden)
     * @param attentionMask additive mask broadcastable to (batch, heads, q_len, k_len), or null
     * @param headMask (1 or batch, heads, 1, 1) multiplier of the probabilities, or null
     * @param encoderHidden (batch, enc_len, hidden) for cross-attention, else null
     * @param encoderAttentionMask additive (batch, 1, 1, enc_len) mask replacing {@code attentionMask} in
     *     cross-attention
     * @param past this module's cached {key, value}, each (batch, heads, past_len, head_size), or null
     */
    Output forward(NDArray hidden, NDArray attentionMask, NDArray headMask, NDArray encoderHidden,
            NDArray encoderAttentionMask, NDArray[] past, boolean outputAttentions) {
        NDArray mixedQuery = query.forward(hidden);
        boolean isCrossAttention = encoderHidden != null;
        NDArray keyLayer;
        NDArray valueLayer;
        if (isCrossAttention && past != null) {
            // The encoder's keys/values do not change between decoding steps: reuse them.
            keyLayer = past[0];
            valueLayer = past[1];
            attentionMask = encoderAttentionMask;
        } else if (isCrossAttention) {
            keyLayer = transposeForScores(key.forward(encoderHidden));
            valueLayer = transposeForScores(value.forward(encoderHidden));
            attentionMask = encoderAttentionMask;
        } else if (past != null) {
            keyLayer = past[0].concat(transposeForScores(key.forward(hidden)), 2);
            valueLayer = past[1].concat(transposeForScores(value.forward(hidden)), 2);
        } else {
            keyLayer = transposeForScores(key.forward(hidden));
            valueLayer = transposeForScores(value.forward(hidden));
        }
        NDArray queryLayer = transposeForScores(mixedQuery); // (B, nh, Lq, hs)

        // Decoders return (and encoders never get) the keys/values seen so far, for the next step.
        NDArray[] present = isDecoder ? new NDArray[] {keyLayer, valueLayer} : null;

        if (!outputAttentions && headMask == null && !isRelative()) {
            // Fast path: LibTorch's fused scaled-dot-product attention computes the same softmax(QK^T/sqrt(d) + mask)V
            // (within ~1e-6 of the eager order, fully masked rows uniform too) without materialising the
            // probabilities; used only when nobody asks for them.
            NDArray ctx = TorchOps.scaledDotProductAttention(queryLayer, keyLayer, valueLayer, attentionMask, false,
                    1.0 / Math.sqrt(headSize)); // (B, nh, Lq, hs)
            Shape cs = ctx.getShape();
            ctx = ctx.transpose(0, 2, 1, 3).reshape(cs.get(0), cs.get(2), allHeadSize); // (B, Lq, all_head)
            return new Output(ctx, null, present);
        }
        NDArray scores = queryLayer.matMul(keyLayer.transpose(0, 1, 3, 2)); // (B, nh, Lq, Lk)
        if (isRelative()) {
            scores = addRelativePositionScores(scores, queryLayer, keyLayer, past != null);
        }
        scores = scores.div((float) Math.sqrt(headSize));
        if (attentionMask != null) {
            scores = scores.add(attentionMask);
        }
        NDArray probs = scores.softmax(-1);
        if (headMask != null) {
            probs = probs.mul(headMask);
        }
        NDArray context = probs.matMul(valueLayer); // (B, nh, Lq, hs)
        Shape s = context.getShape();
        context = context.transpose(0, 2, 1, 3).reshape(s.get(0), s.get(2), allHeadSize); // (B, Lq, all_head)
        return new Output(context, outputAttentions ? probs : null, present);
    }

    /**
     * Python: distance = l - r, embedded, then einsum("bhld,lrd->bhlr", q, pos) (+ einsum("bhrd,lrd->bhlr", k, pos)
     * for relative_key_query). The einsums are batched matmuls over l (resp. r). With a cache Python takes l as the
     * single position key_len - 1 for every query, which is exact for one new token per step; we do the same.
     */
    private NDArray addRelativePositionScores(NDArray scores, NDArray queryLayer, NDArray keyLayer, boolean useCache) {
        Shape qs = queryLayer.getShape();
        long b = qs.get(0);
        long qLen = qs.get(2);
        long kLen = keyLayer.getShape().get(2);
        NDManager m = queryLayer.getManager();
        NDArray left = useCache
                ? m.create(new long[] {kLen - 1}).reshape(1, 1)
                : m.arange(0, (int) qLen, 1, DataType.INT64).reshape(qLen, 1);
        NDArray right = m.arange(0, (int) kLen, 1, DataType.INT64).reshape(1, kLen);
        NDArray distance = left.sub(right).add(maxPositionEmbeddings - 1); // (l, r)
        NDArray pos = distanceEmbedding.forward(distance).toType(queryLayer.getDataType(), false); // (l, r, hs)
        pos = pos.broadcast(qLen, kLen, headSize);

        // q: (B, nh, l, d) -> (l, B*nh, d); pos^T: (l, d, r) -> (l, B*nh, r) -> (B, nh, l, r)
        NDArray q = queryLayer.transpose(2, 0, 1, 3).reshape(qLen, b * numHeads, headSize);
        scores = scores.add(q.matMul(pos.transpose(0, 2, 1)).reshape(qLen, b, numHeads, kLen).transpose(1, 2, 0, 3));
        if (positionEmbeddingType.equals("relative_key_query")) {
            // k: (B, nh, r, d) -> (r, B*nh, d); pos: (l, r, d) -> (r, d, l) -> (r, B*nh, l) -> (B, nh, l, r)
            NDArray k = keyLayer.transpose(2, 0, 1, 3).reshape(kLen, b * numHeads, headSize);
            scores = scores.add(k.matMul(pos.transpose(1, 2, 0)).reshape(kLen, b, numHeads, qLen).transpose(1, 2, 3, 0));
        }
        return scores;
    }
}
