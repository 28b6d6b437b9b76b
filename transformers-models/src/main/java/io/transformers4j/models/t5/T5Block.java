package io.transformers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.weights.Weights;

/**
 * One T5 layer: pre-norm self-attention, then (decoder only) pre-norm attention over the encoder output, then the
 * pre-norm feed-forward layer, each with a residual connection. Port of {@code T5Block} with
 * {@code T5LayerSelfAttention} ({@code layer.0}) and {@code T5LayerCrossAttention} ({@code layer.1} in the decoder).
 */
final class T5Block {

    private final boolean isDecoder;
    private final T5Attention selfAttention;   // layer.0.SelfAttention
    private final T5LayerNorm selfLayerNorm;   // layer.0.layer_norm
    private final T5Attention encDecAttention; // layer.1.EncDecAttention (decoder)
    private final T5LayerNorm crossLayerNorm;  // layer.1.layer_norm (decoder)
    private final T5LayerFF ff;                // layer.1 (encoder) / layer.2 (decoder)

    /**
     * What a block returns: its output; its cache {self k, self v[, cross k, cross v]} (use_cache) or null; the
     * self-attention position bias and the cross-attention position bias (masks included) for the next blocks; the
     * attention weights when asked for.
     */
    record Result(NDArray hidden, NDArray[] present, NDArray positionBias, NDArray encoderDecoderPositionBias,
            NDArray selfWeights, NDArray crossWeights) {}

    T5Block(T5Config config, Weights w, boolean isDecoder, boolean hasRelativeAttentionBias) {
        this.isDecoder = isDecoder;
        Weights layer0 = w.prefix("layer", 0);
        this.selfAttention = new T5Attention(layer0.prefix("SelfAttention"), config.dModel(), config.dKv(),
                config.numHeads(), isDecoder, hasRelativeAttentionBias, config.relativeAttentionNumBuckets(),
                config.relativeAttentionMaxDistance());
        this.selfLayerNorm = new T5LayerNorm(layer0.prefix("layer_norm"), config.dModel(), config.layerNormEpsilon());
        int ffIndex = 1;
        if (isDecoder) {
            Weights layer1 = w.prefix("layer", 1);
            this.encDecAttention = new T5Attention(layer1.prefix("EncDecAttention"), config.dModel(), config.dKv(),
                    config.numHeads(), true, false, config.relativeAttentionNumBuckets(),
                    config.relativeAttentionMaxDistance());
            this.crossLayerNorm = new T5LayerNorm(layer1.prefix("layer_norm"), config.dModel(),
                    config.layerNormEpsilon());
            ffIndex = 2;
        } else {
            this.encDecAttention = null;
            this.crossLayerNorm = null;
        }
        this.ff = new T5LayerFF(w.prefix("layer", ffIndex), config.dModel(), config.dFf(), config.isGatedAct(),
                config.denseActFn(), config.layerNormEpsilon());
    }

    Result forward(NDArray hidden, NDArray attentionMask, NDArray positionBias, NDArray encoderHidden,
            NDArray encoderAttentionMask, NDArray encoderDecoderPositionBias, NDArray layerHeadMask,
            NDArray crossAttnLayerHeadMask, NDArray[] pastKeyValue, boolean useCache, boolean outputAttentions) {
        NDArray[] selfPast = null;
        NDArray[] crossPast = null;
        if (pastKeyValue != null) {
            int expected = encoderHidden == null ? 2 : 4;
            if (pastKeyValue.length != expected) {
                throw new IllegalArgumentException("There should be " + expected + " past states. "
                        + (expected == 4 ? "2 (past / key) for cross attention. " : "") + "Got "
                        + pastKeyValue.length + " past key / value states");
            }
            selfPast = new NDArray[] {pastKeyValue[0], pastKeyValue[1]};
            crossPast = expected == 4 ? new NDArray[] {pastKeyValue[2], pastKeyValue[3]} : null;
        }

        T5Attention.Result self = selfAttention.forward(selfLayerNorm.forward(hidden), attentionMask, null,
                positionBias, selfPast, layerHeadMask, null, useCache, outputAttentions);
        hidden = clampFp16(hidden.add(self.output()));
        NDArray[] present = self.present();

        T5Attention.Result cross = null;
        if (isDecoder && encoderHidden != null) {
            // With a cache the query length is unknown to cross-attention; it is the self-attention's key length.
            Long queryLength = present != null ? present[0].getShape().get(2) : null;
            cross = encDecAttention.forward(crossLayerNorm.forward(hidden), encoderAttentionMask, encoderHidden,
                    encoderDecoderPositionBias, crossPast, crossAttnLayerHeadMask, queryLength, useCache,
                    outputAttentions);
            hidden = clampFp16(hidden.add(cross.output()));
            if (present != null) {
                present = new NDArray[] {present[0], present[1], cross.present()[0], cross.present()[1]};
            }
        }

        hidden = clampFp16(ff.forward(hidden));
        return new Result(hidden, useCache ? present : null, self.positionBias(),
                cross == null ? null : cross.positionBias(), self.weights(), cross == null ? null : cross.weights());
    }

    /** Python clamps float16 activations just below the largest finite value so that inf does not spread. */
    static NDArray clampFp16(NDArray hidden) {
        if (hidden.getDataType() != DataType.FLOAT16) {
            return hidden;
        }
        float max = 65504f;
        float clamp = hidden.isInfinite().any().getBoolean() ? max - 1000 : max;
        return hidden.clip(-clamp, clamp);
    }
}
