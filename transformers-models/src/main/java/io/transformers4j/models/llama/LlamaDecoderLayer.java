package io.transformers4j.models.llama;

import ai.djl.ndarray.NDArray;
import io.transformers4j.models.LegacyCache;
import io.transformers4j.weights.Weights;

/** Port of {@code LlamaDecoderLayer}: pre-norm attention and MLP, each added back to its input. */
final class LlamaDecoderLayer {
    private final LlamaAttention selfAttn;
    private final LlamaMLP mlp;
    private final LlamaRMSNorm inputLayernorm;
    private final LlamaRMSNorm postAttentionLayernorm;

    LlamaDecoderLayer(LlamaConfig config, Weights w, int layerIdx) {
        this.selfAttn = new LlamaAttention(config, w.prefix("self_attn"), layerIdx);
        this.mlp = new LlamaMLP(config, w.prefix("mlp"));
        this.inputLayernorm = new LlamaRMSNorm(w.prefix("input_layernorm"), config.hiddenSize(), config.rmsNormEps());
        this.postAttentionLayernorm = new LlamaRMSNorm(w.prefix("post_attention_layernorm"), config.hiddenSize(),
                config.rmsNormEps());
    }

    /** Returns the layer's output (B, T, hidden) and, when asked for, its attention weights. */
    LlamaAttention.Result forward(NDArray hiddenStates, NDArray attentionMask, NDArray[] cosSin, LegacyCache cache,
            boolean outputAttentions) {
        NDArray residual = hiddenStates;
        hiddenStates = inputLayernorm.forward(hiddenStates);
        LlamaAttention.Result attn = selfAttn.forward(hiddenStates, attentionMask, cosSin, cache,
                outputAttentions);
        hiddenStates = residual.add(attn.output());

        residual = hiddenStates;
        hiddenStates = postAttentionLayernorm.forward(hiddenStates);
        hiddenStates = mlp.forward(hiddenStates);
        hiddenStates = residual.add(hiddenStates);
        return new LlamaAttention.Result(hiddenStates, attn.weights());
    }
}
