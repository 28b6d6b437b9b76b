package io.transformers4j.models.blenderbot_small;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Activations;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;
import java.util.function.UnaryOperator;

/**
 * One decoder layer: causal self-attention, attention over the encoder output, and a two-layer MLP, each with a
 * residual and a post-LayerNorm. Port of {@code BlenderbotSmallDecoderLayer} (a copy of BartDecoderLayer).
 */
final class BlenderbotSmallDecoderLayer {

    private final BlenderbotSmallAttention selfAttn;
    private final LayerNorm selfAttnLayerNorm;
    private final BlenderbotSmallAttention encoderAttn;
    private final LayerNorm encoderAttnLayerNorm;
    private final UnaryOperator<NDArray> activationFn;
    private final Linear fc1; // (ffn, embed)
    private final Linear fc2; // (embed, ffn)
    private final LayerNorm finalLayerNorm;

    /** The output; self- and cross-attention weights when asked for; the cache {self k, self v[, cross k, v]}. */
    record Result(NDArray hidden, NDArray selfAttention, NDArray crossAttention, NDArray[] present) {}

    BlenderbotSmallDecoderLayer(BlenderbotSmallConfig config, Weights w) {
        int embedDim = config.dModel();
        double eps = BlenderbotSmallEncoderLayer.LAYER_NORM_EPS;
        this.selfAttn = new BlenderbotSmallAttention(w.prefix("self_attn"), embedDim, config.decoderAttentionHeads(),
                true);
        this.selfAttnLayerNorm = new LayerNorm(w.prefix("self_attn_layer_norm"), embedDim, eps);
        this.encoderAttn = new BlenderbotSmallAttention(w.prefix("encoder_attn"), embedDim,
                config.decoderAttentionHeads(), true);
        this.encoderAttnLayerNorm = new LayerNorm(w.prefix("encoder_attn_layer_norm"), embedDim, eps);
        this.activationFn = Activations.get(config.activationFunction());
        this.fc1 = new Linear(w.prefix("fc1"), embedDim, config.decoderFfnDim(), true);
        this.fc2 = new Linear(w.prefix("fc2"), config.decoderFfnDim(), embedDim, true);
        this.finalLayerNorm = new LayerNorm(w.prefix("final_layer_norm"), embedDim, eps);
    }

    Result forward(NDArray hidden, NDArray attentionMask, NDArray encoderHidden, NDArray encoderAttentionMask,
            NDArray layerHeadMask, NDArray crossAttnLayerHeadMask, NDArray[] pastKeyValue, boolean outputAttentions) {
        NDArray[] selfPast = pastKeyValue == null ? null : new NDArray[] {pastKeyValue[0], pastKeyValue[1]};
        BlenderbotSmallAttention.Result self = selfAttn.forward(hidden, null, selfPast, attentionMask, layerHeadMask,
                outputAttentions);
        hidden = selfAttnLayerNorm.forward(hidden.add(self.output()));
        NDArray[] present = self.present();

        NDArray crossWeights = null;
        if (encoderHidden != null) {
            NDArray[] crossPast = pastKeyValue == null || pastKeyValue.length < 4 ? null
                    : new NDArray[] {pastKeyValue[pastKeyValue.length - 2], pastKeyValue[pastKeyValue.length - 1]};
            BlenderbotSmallAttention.Result cross = encoderAttn.forward(hidden, encoderHidden, crossPast,
                    encoderAttentionMask, crossAttnLayerHeadMask, outputAttentions);
            hidden = encoderAttnLayerNorm.forward(hidden.add(cross.output()));
            crossWeights = cross.weights();
            present = new NDArray[] {present[0], present[1], cross.present()[0], cross.present()[1]};
        }

        NDArray ff = fc2.forward(activationFn.apply(fc1.forward(hidden)));
        hidden = finalLayerNorm.forward(hidden.add(ff));
        return new Result(hidden, self.weights(), crossWeights, present);
    }
}
