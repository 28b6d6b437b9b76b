package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.weights.Weights;

/**
 * Attention plus its output block. Port of {@code BertAttention} (modeling_bert.py); head pruning
 * ({@code prune_heads}) is a training-time edit of the weights and is not ported: a config with {@code pruned_heads}
 * fails at load instead, because its checkpoint tensors have the pruned shapes.
 */
final class BertAttention {
    final BertSelfAttention self;
    final BertSelfOutput output;

    BertAttention(BertConfig config, Weights w, String positionEmbeddingType) {
        this.self = new BertSelfAttention(config, w.prefix("self"), positionEmbeddingType);
        this.output = new BertSelfOutput(config, w.prefix("output"));
    }

    /** As {@link BertSelfAttention#forward}; the context is replaced by this block's output (batch, q_len, hidden). */
    BertSelfAttention.Output forward(NDArray hidden, NDArray attentionMask, NDArray headMask, NDArray encoderHidden,
            NDArray encoderAttentionMask, NDArray[] past, boolean outputAttentions) {
        BertSelfAttention.Output s = self.forward(hidden, attentionMask, headMask, encoderHidden, encoderAttentionMask,
                past, outputAttentions);
        return new BertSelfAttention.Output(output.forward(s.context(), hidden), s.probs(), s.presentKeyValue());
    }
}
