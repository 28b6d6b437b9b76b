package io.transformers4j.models.blenderbot_small;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.nn.Activations;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;
import java.util.function.UnaryOperator;

/**
 * One encoder layer: self-attention and a two-layer MLP, each with a residual and a post-LayerNorm. Port of
 * {@code BlenderbotSmallEncoderLayer} (a copy of BartEncoderLayer). Its LayerNorms use torch's default eps 1e-5.
 */
final class BlenderbotSmallEncoderLayer {

    static final double LAYER_NORM_EPS = 1e-5;

    private final BlenderbotSmallAttention selfAttn;
    private final LayerNorm selfAttnLayerNorm;
    private final UnaryOperator<NDArray> activationFn;
    private final Linear fc1; // (ffn, embed)
    private final Linear fc2; // (embed, ffn)
    private final LayerNorm finalLayerNorm;

    record Result(NDArray hidden, NDArray attention) {}

    BlenderbotSmallEncoderLayer(BlenderbotSmallConfig config, Weights w) {
        int embedDim = config.dModel();
        this.selfAttn = new BlenderbotSmallAttention(w.prefix("self_attn"), embedDim, config.encoderAttentionHeads(),
                false);
        this.selfAttnLayerNorm = new LayerNorm(w.prefix("self_attn_layer_norm"), embedDim, LAYER_NORM_EPS);
        this.activationFn = Activations.get(config.activationFunction());
        this.fc1 = new Linear(w.prefix("fc1"), embedDim, config.encoderFfnDim(), true);
        this.fc2 = new Linear(w.prefix("fc2"), config.encoderFfnDim(), embedDim, true);
        this.finalLayerNorm = new LayerNorm(w.prefix("final_layer_norm"), embedDim, LAYER_NORM_EPS);
    }

    Result forward(NDArray hidden, NDArray attentionMask, NDArray layerHeadMask, boolean outputAttentions) {
        BlenderbotSmallAttention.Result attn = selfAttn.forward(hidden, null, null, attentionMask, layerHeadMask,
                outputAttentions);
        hidden = selfAttnLayerNorm.forward(hidden.add(attn.output()));
        NDArray ff = fc2.forward(activationFn.apply(fc1.forward(hidden)));
        hidden = finalLayerNorm.forward(hidden.add(ff));
        return new Result(clampFp16(hidden), attn.weights());
    }

    /** float16 only: Python clamps to finfo.max - 1000 when inf or nan appeared, so they do not spread. */
    static NDArray clampFp16(NDArray hidden) {
        if (hidden.getDataType() != DataType.FLOAT16) {
            return hidden;
        }
        if (hidden.isInfinite().any().getBoolean() || hidden.isNaN().any().getBoolean()) {
            float clamp = 65504f - 1000f;
            return hidden.clip(-clamp, clamp);
        }
        return hidden;
    }
}
