package io.transformers4j.models.mistral;

import ai.djl.ndarray.NDArray;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.models.FusedStaticCacheStep;
import io.transformers4j.models.LegacyCache;
import io.transformers4j.torch.FusedDecoderLayer;
import io.transformers4j.weights.Weights;

/** Port of {@code MistralDecoderLayer}: pre-norm attention and MLP, each added back to its input. */
final class MistralDecoderLayer {
    private final MistralAttention selfAttn;
    private final MistralMLP mlp;
    private final MistralRMSNorm inputLayernorm;
    private final MistralRMSNorm postAttentionLayernorm;
    private final int layerIdx;
    /** The layer prepared for the fused native step, on first use; null where it cannot run fused. */
    private FusedDecoderLayer fused;
    private boolean fusedPrepared;

    MistralDecoderLayer(MistralConfig config, Weights w, int layerIdx) {
        this.selfAttn = new MistralAttention(config, w.prefix("self_attn"), layerIdx);
        this.mlp = new MistralMLP(config, w.prefix("mlp"));
        this.inputLayernorm = new MistralRMSNorm(w.prefix("input_layernorm"), config.hiddenSize(),
                config.rmsNormEps());
        this.postAttentionLayernorm = new MistralRMSNorm(w.prefix("post_attention_layernorm"), config.hiddenSize(),
                config.rmsNormEps());
        this.layerIdx = layerIdx;
    }

    /** Returns the layer's output (B, T, hidden) and, when asked for, its attention weights. */
    MistralAttention.Result forward(NDArray hiddenStates, NDArray attentionMask, NDArray[] cosSin,
            LegacyCache cache, boolean outputAttentions) {
        if (!outputAttentions && cache != null && cache.cacheObject() instanceof StaticCache staticCache) {
            NDArray out = forwardFused(hiddenStates, attentionMask, cosSin, cache.cachePosition(), staticCache);
            if (out != null) {
                return new MistralAttention.Result(out, null);
            }
        }
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

    /**
     * One bfloat16 or float32 token on a static cache: the whole layer in one native call where it runs
     * ({@link FusedDecoderLayer}, as Llama's layer), the same numbers as {@link #forward}'s op-by-op path; null where
     * it does not run. The sliding window needs nothing of its own here: it is in the mask row the step attends with
     * (keys further back than the window are -inf there), which the fused attention reads as the op-by-op one does.
     */
    private NDArray forwardFused(NDArray hiddenStates, NDArray attentionMask, NDArray[] cosSin, NDArray cachePosition,
            StaticCache cache) {
        if (!FusedDecoderLayer.isEnabled()) {
            return null;
        }
        if (!fusedPrepared) {
            NDArray[] attn = selfAttn.projectionWeights();
            NDArray[] mlpWeights = mlp.siluWeights();
            fused = mlpWeights == null ? null : FusedDecoderLayer.prepare(inputLayernorm.weight(),
                    inputLayernorm.eps(), attn[0], attn[1], attn[2], attn[3], postAttentionLayernorm.weight(),
                    postAttentionLayernorm.eps(), mlpWeights[0], mlpWeights[1], mlpWeights[2], selfAttn.numHeads(),
                    selfAttn.numKeyValueHeads());
            fusedPrepared = true;
        }
        return FusedStaticCacheStep.run(fused, hiddenStates, attentionMask, cosSin, cachePosition, cache, layerIdx);
    }
}
