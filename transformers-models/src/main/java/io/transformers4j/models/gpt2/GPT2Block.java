package io.transformers4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.weights.Weights;

/**
 * One pre-norm transformer block: x + attn(ln_1(x)), [+ crossattention(ln_cross_attn(x), encoder)], + mlp(ln_2(x)).
 * Port of {@code GPT2Block}.
 */
final class GPT2Block {

    private final LayerNorm ln1;
    private final GPT2Attention attn;
    private final LayerNorm lnCrossAttn;        // only with config.add_cross_attention
    private final GPT2Attention crossattention; // only with config.add_cross_attention
    private final LayerNorm ln2;
    private final GPT2MLP mlp;

    /** Hidden state after the block, the self-attention's {key, value}, and the attention weights when asked for. */
    record Result(NDArray hidden, NDArray[] present, NDArray attentions, NDArray crossAttentions) {}

    GPT2Block(GPT2Config config, Weights w, int layerIdx) {
        int hiddenSize = config.hiddenSize();
        long innerDim = config.nInner() != null ? config.nInner() : 4L * hiddenSize;
        double eps = config.layerNormEpsilon();
        this.ln1 = new LayerNorm(w.prefix("ln_1"), hiddenSize, eps);
        this.attn = new GPT2Attention(config, w.prefix("attn"), false, layerIdx);
        this.ln2 = new LayerNorm(w.prefix("ln_2"), hiddenSize, eps);
        if (config.addCrossAttention()) {
            this.crossattention = new GPT2Attention(config, w.prefix("crossattention"), true, layerIdx);
            this.lnCrossAttn = new LayerNorm(w.prefix("ln_cross_attn"), hiddenSize, eps);
        } else {
            this.crossattention = null;
            this.lnCrossAttn = null;
        }
        this.mlp = new GPT2MLP(config, w.prefix("mlp"), innerDim);
    }

    Result forward(NDArray hidden, NDArray[] layerPast, NDArray attentionMask, NDArray headMask,
            NDArray encoderHidden, NDArray encoderAttentionMask, boolean useCache, boolean outputAttentions) {
        GPT2Attention.Result a = attn.forward(ln1.forward(hidden), layerPast, attentionMask, headMask, null, null,
                useCache, outputAttentions);
        hidden = a.output().add(hidden);

        NDArray crossWeights = null;
        if (encoderHidden != null) {
            if (crossattention == null) {
                throw new IllegalArgumentException("encoder_hidden_states were passed but this GPT2 model has no "
                        + "cross-attention layers: set add_cross_attention=true in its config");
            }
            GPT2Attention.Result c = crossattention.forward(lnCrossAttn.forward(hidden), null, attentionMask,
                    headMask, encoderHidden, encoderAttentionMask, false, outputAttentions);
            hidden = hidden.add(c.output());
            crossWeights = c.weights();
        }

        hidden = hidden.add(mlp.forward(ln2.forward(hidden)));
        return new Result(hidden, a.present(), a.weights(), crossWeights);
    }
}
