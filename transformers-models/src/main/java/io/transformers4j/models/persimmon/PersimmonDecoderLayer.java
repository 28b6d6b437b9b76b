package io.transformers4j.models.persimmon;

import ai.djl.ndarray.NDArray;
import io.transformers4j.models.LegacyCache;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.weights.Weights;

/** Port of {@code PersimmonDecoderLayer}: pre-LayerNorm attention and MLP, each added back to its input. */
final class PersimmonDecoderLayer {
    private final PersimmonAttention selfAttn;
    private final PersimmonMLP mlp;
    private final LayerNorm inputLayernorm;
    private final LayerNorm postAttentionLayernorm;

    PersimmonDecoderLayer(PersimmonConfig config, Weights w, int layerIdx) {
        this.selfAttn = new PersimmonAttention(config, w.prefix("self_attn"), layerIdx);
        this.mlp = new PersimmonMLP(config, w.prefix("mlp"));
        this.inputLayernorm = new LayerNorm(w.prefix("input_layernorm"), config.hiddenSize(), config.layerNormEps());
        this.postAttentionLayernorm = new LayerNorm(w.prefix("post_attention_layernorm"), config.hiddenSize(),
                config.layerNormEps());
    }

    /**
     * Returns the layer's output (B, T, hidden) and, when asked for, its attention weights.
     *
     * @param kvSeqLen cached (usable) + new length: Python's kv_seq_len, the same for every layer
     */
    PersimmonAttention.Result forward(NDArray hiddenStates, NDArray attentionMask, NDArray positionIds,
            long kvSeqLen, LegacyCache cache, boolean outputAttentions) {
        NDArray residual = hiddenStates;
        hiddenStates = inputLayernorm.forward(hiddenStates);
        PersimmonAttention.Result attn = selfAttn.forward(hiddenStates, attentionMask, positionIds, kvSeqLen, cache,
                outputAttentions);
        hiddenStates = residual.add(attn.output());

        residual = hiddenStates;
        hiddenStates = postAttentionLayernorm.forward(hiddenStates);
        hiddenStates = mlp.forward(hiddenStates);
        // (hidden_dropout is the identity at inference)
        hiddenStates = hiddenStates.add(residual);
        return new PersimmonAttention.Result(hiddenStates, attn.weights());
    }
}
