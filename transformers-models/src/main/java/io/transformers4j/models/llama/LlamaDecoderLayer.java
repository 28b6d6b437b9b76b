package io.transformers4j.models.llama;

import ai.djl.ndarray.NDArray;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.models.FusedStaticCacheStep;
import io.transformers4j.models.LegacyCache;
import io.transformers4j.torch.FusedDecoderLayer;
import io.transformers4j.weights.Weights;

/** Port of {@code LlamaDecoderLayer}: pre-norm attention and MLP, each added back to its input. */
final class LlamaDecoderLayer {
    private final LlamaAttention selfAttn;
    private final LlamaMLP mlp;
    private final LlamaRMSNorm inputLayernorm;
    private final LlamaRMSNorm postAttentionLayernorm;
    private final int layerIdx;
    /** The layer prepared for the fused native step, on first use; null where it cannot run fused. */
    private FusedDecoderLayer fused;
    private boolean fusedPrepared;

    LlamaDecoderLayer(LlamaConfig config, Weights w, int layerIdx) {
        this.selfAttn = new LlamaAttention(config, w.prefix("self_attn"), layerIdx);
        this.mlp = new LlamaMLP(config, w.prefix("mlp"));
        this.inputLayernorm = new LlamaRMSNorm(w.prefix("input_layernorm"), config.hiddenSize(), config.rmsNormEps());
        this.postAttentionLayernorm = new LlamaRMSNorm(w.prefix("post_attention_layernorm"), config.hiddenSize(),
                config.rmsNormEps());
        this.layerIdx = layerIdx;
    }

    /** Returns the layer's output (B, T, hidden) and, when asked for, its attention weights. */
    LlamaAttention.Result forward(NDArray hiddenStates, NDArray attentionMask, NDArray[] cosSin, LegacyCache cache,
            boolean outputAttentions) {
        if (!outputAttentions && cache != null && cache.cacheObject() instanceof StaticCache staticCache) {
            NDArray out = forwardFused(hiddenStates, attentionMask, cosSin, cache.cachePosition(), staticCache);
            if (out != null) {
                return new LlamaAttention.Result(out, null);
            }
        }
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

    /**
     * One bfloat16 token on a static cache (a decoding step of generate(cache_implementation="static")): the whole
     * layer in one native call where it runs ({@link FusedDecoderLayer}), the same bits as {@link #forward}'s op-by-op
     * path with the same keys and values written to the cache; null where it does not run.
     */
    private NDArray forwardFused(NDArray hiddenStates, NDArray attentionMask, NDArray[] cosSin, NDArray cachePosition,
            StaticCache cache) {
        if (!FusedDecoderLayer.isEnabled()) {
            return null;
        }
        if (!fusedPrepared) {
            NDArray[] attn = selfAttn.noBiasWeights();
            NDArray[] mlpWeights = mlp.siluWeights();
            fused = attn == null || mlpWeights == null ? null : FusedDecoderLayer.prepare(inputLayernorm.weight(),
                    inputLayernorm.eps(), attn[0], attn[1], attn[2], attn[3], postAttentionLayernorm.weight(),
                    postAttentionLayernorm.eps(), mlpWeights[0], mlpWeights[1], mlpWeights[2], selfAttn.numHeads(),
                    selfAttn.numKeyValueHeads());
            fusedPrepared = true;
        }
        return FusedStaticCacheStep.run(fused, hiddenStates, attentionMask, cosSin, cachePosition, cache, layerIdx);
    }
}
