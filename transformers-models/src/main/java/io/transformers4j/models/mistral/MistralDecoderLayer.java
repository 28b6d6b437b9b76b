package io.transformers4j.models.mistral;

import ai.djl.ndarray.NDArray;
import io.transformers4j.models.LegacyCache;
import io.transformers4j.weights.Weights;

/** Port of {@code MistralDecoderLayer}: pre-norm attention and MLP, each added back to its input. */
final class MistralDecoderLayer {
    private final MistralAttention selfAttn;
    private final MistralMLP mlp;
    private final MistralRMSNorm inputLayernorm;
    private final MistralRMSNorm postAttentionLayernorm;

    MistralDecoderLayer(MistralConfig config, Weights w, int layerIdx) {
        this.selfAttn = new MistralAttention(config, w.prefix("self_attn"), layerIdx);
        this.mlp = new MistralMLP(config, w.prefix("mlp"));
        this.inputLayernorm = new MistralRMSNorm(w.prefix("input_layernorm"), config.hiddenSize(),
                config.rmsNormEps());
        this.postAttentionLayernorm = new MistralRMSNorm(w.prefix("post_attention_layernorm"), config.hiddenSize(),
                config.rmsNormEps());
    }

    /** Returns the layer's output (B, T, hidden) and, when asked for, its attention weights. */
    MistralAttention.Result forward(NDArray hiddenStates, NDArray attentionMask, NDArray[] cosSin,
            LegacyCache cache, boolean outputAttentions) {
        NDArray residual = hiddenStates;
        hiddenStates = inputLayernorm.forward(hiddenStates);
        MistralAttention.Result attn = selfAttn.forward(hiddenStates, attentionMask, cosSin, cache,
                outputAttentions);
        hiddenStates = residual.add(attn.output());

        residual = hiddenStates;
        hiddenStates = postAttentionLayernorm.forward(hiddenStates);
        hiddenStates = mlp.forward(hiddenStates);
        hiddenStates = residual.add(hiddenStates);
        return new MistralAttention.Result(hiddenStates, attn.weights());
    }
}
