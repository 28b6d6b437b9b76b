package io.transformers4j.models.longt5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.models.t5.T5LayerFF;
import io.transformers4j.models.t5.T5LayerNorm;
import io.transformers4j.weights.Weights;

/**
 * One LongT5 encoder layer: pre-norm local or transient-global self-attention ({@code layer.0}), then T5's pre-norm
 * feed-forward layer ({@code layer.1}), each with a residual. Port of {@code LongT5Block} with
 * {@code LongT5LayerLocalSelfAttention} / {@code LongT5LayerTransientGlobalSelfAttention}; the decoder's blocks are
 * T5's (see {@link io.transformers4j.models.t5.T5Stack}).
 */
final class LongT5EncoderBlock {

    private final LongT5LocalAttention localSelfAttention;                     // layer.0.LocalSelfAttention
    private final LongT5TransientGlobalAttention transientGlobalSelfAttention; // layer.0.TransientGlobalSelfAttention
    private final T5LayerNorm layerNorm;                                       // layer.0.layer_norm
    private final T5LayerFF ff;                                                // layer.1

    LongT5EncoderBlock(LongT5Config config, Weights w, boolean hasRelativeAttentionBias) {
        Weights layer0 = w.prefix("layer", 0);
        if (LongT5Config.LOCAL.equals(config.encoderAttentionType())) {
            this.localSelfAttention = new LongT5LocalAttention(config, layer0.prefix("LocalSelfAttention"),
                    hasRelativeAttentionBias);
            this.transientGlobalSelfAttention = null;
        } else {
            this.localSelfAttention = null;
            this.transientGlobalSelfAttention = new LongT5TransientGlobalAttention(config,
                    layer0.prefix("TransientGlobalSelfAttention"), hasRelativeAttentionBias);
        }
        this.layerNorm = new T5LayerNorm(layer0.prefix("layer_norm"), config.dModel(), config.layerNormEpsilon());
        this.ff = new T5LayerFF(w.prefix("layer", 1), config.dModel(), config.dFf(), config.isGatedAct(),
                config.denseActFn(), config.layerNormEpsilon());
    }

    /**
     * @param mask local attention: the local mask (B, 1, nb, bl, 3bl); transient-global: the raw mask (B, S)
     * @return the output, the position bias for the next layers, the attention weights (or null)
     */
    LongT5LocalAttention.Result forward(NDArray hidden, NDArray mask, NDArray positionBias, NDArray layerHeadMask,
            boolean outputAttentions) {
        NDArray normed = layerNorm.forward(hidden);
        LongT5LocalAttention.Result attn = localSelfAttention != null
                ? localSelfAttention.forward(normed, mask, positionBias, layerHeadMask, outputAttentions)
                : transientGlobalSelfAttention.forward(normed, mask, positionBias, layerHeadMask, outputAttentions);
        hidden = clampFp16(hidden.add(attn.output()));
        hidden = clampFp16(ff.forward(hidden));
        return new LongT5LocalAttention.Result(hidden, attn.positionBias(), attn.weights());
    }

    /** float16 only: Python clamps to finfo.max - 1000 when inf appeared, so it does not spread. */
    private static NDArray clampFp16(NDArray hidden) {
        if (hidden.getDataType() == DataType.FLOAT16 && hidden.isInfinite().any().getBoolean()) {
            float clamp = 65504f - 1000f;
            return hidden.clip(-clamp, clamp);
        }
        return hidden;
    }
}
