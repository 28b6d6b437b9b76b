package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Activations;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;
import java.util.function.UnaryOperator;

/**
 * One NEZHA layer: self-attention (+ cross-attention in a decoder), then the feed-forward block, each closed by a
 * dense layer, a residual and a post-LayerNorm. Port of {@code NezhaLayer} with {@code NezhaAttention},
 * {@code NezhaSelfOutput}, {@code NezhaIntermediate} and {@code NezhaOutput} (copies of BERT's).
 */
final class NezhaLayer {

    /** {@code NezhaAttention}: self-attention, then {@code NezhaSelfOutput} (dense, residual, LayerNorm). */
    static final class Attention {
        final NezhaSelfAttention self;
        final Linear outputDense;        // output.dense (hidden, hidden)
        final LayerNorm outputLayerNorm; // output.LayerNorm

        Attention(NezhaConfig config, Weights w) {
            this.self = new NezhaSelfAttention(config, w.prefix("self"));
            this.outputDense = new Linear(w.prefix("output").prefix("dense"), config.hiddenSize(), config.hiddenSize(),
                    true);
            this.outputLayerNorm = new LayerNorm(w.prefix("output").prefix("LayerNorm"), config.hiddenSize(),
                    config.layerNormEps());
        }

        NezhaSelfAttention.Result forward(NDArray hidden, NDArray attentionMask, NDArray headMask,
                NDArray encoderHidden, NDArray encoderAttentionMask, NDArray[] past,
                NezhaRelativePositionsEncoding relativePositions, boolean outputAttentions) {
            NezhaSelfAttention.Result r = self.forward(hidden, attentionMask, headMask, encoderHidden,
                    encoderAttentionMask, past, relativePositions, outputAttentions);
            NDArray out = outputLayerNorm.forward(outputDense.forward(r.context()).add(hidden));
            return new NezhaSelfAttention.Result(out, r.probs(), r.present());
        }
    }

    record Result(NDArray hidden, NDArray selfAttention, NDArray crossAttention, NDArray[] present) {}

    private final boolean isDecoder;
    private final Attention attention;
    private final Attention crossattention; // add_cross_attention only
    private final Linear intermediateDense; // (intermediate, hidden)
    private final UnaryOperator<NDArray> act;
    private final Linear outputDense;       // (hidden, intermediate)
    private final LayerNorm outputLayerNorm;

    NezhaLayer(NezhaConfig config, Weights w) {
        this.isDecoder = config.isDecoder();
        this.attention = new Attention(config, w.prefix("attention"));
        this.crossattention = config.addCrossAttention() ? new Attention(config, w.prefix("crossattention")) : null;
        this.intermediateDense = new Linear(w.prefix("intermediate").prefix("dense"), config.hiddenSize(),
                config.intermediateSize(), true);
        this.act = Activations.get(config.hiddenAct());
        this.outputDense = new Linear(w.prefix("output").prefix("dense"), config.intermediateSize(),
                config.hiddenSize(), true);
        this.outputLayerNorm = new LayerNorm(w.prefix("output").prefix("LayerNorm"), config.hiddenSize(),
                config.layerNormEps());
    }

    Result forward(NDArray hidden, NDArray attentionMask, NDArray headMask, NDArray encoderHidden,
            NDArray encoderAttentionMask, NDArray[] past, NezhaRelativePositionsEncoding relativePositions,
            boolean outputAttentions) {
        NDArray[] selfPast = past == null ? null : new NDArray[] {past[0], past[1]};
        NezhaSelfAttention.Result self = attention.forward(hidden, attentionMask, headMask, null, null, selfPast,
                relativePositions, outputAttentions);
        NDArray attentionOutput = self.context();
        NDArray[] present = self.present();

        NDArray crossProbs = null;
        if (isDecoder && encoderHidden != null) {
            if (crossattention == null) {
                throw new IllegalArgumentException("If `encoder_hidden_states` are passed, NezhaLayer has to be "
                        + "instantiated with cross-attention layers by setting `config.add_cross_attention=True`");
            }
            NDArray[] crossPast = past == null ? null : new NDArray[] {past[past.length - 2], past[past.length - 1]};
            // Python passes the self-attention mask too, but cross-attention replaces it with the encoder's.
            NezhaSelfAttention.Result cross = crossattention.forward(attentionOutput, attentionMask, headMask,
                    encoderHidden, encoderAttentionMask, crossPast, relativePositions, outputAttentions);
            attentionOutput = cross.context();
            crossProbs = cross.probs();
            present = new NDArray[] {present[0], present[1], cross.present()[0], cross.present()[1]};
        }

        // feed_forward_chunk (chunking along the sequence gives the same result; not done here)
        NDArray intermediate = act.apply(intermediateDense.forward(attentionOutput));
        NDArray layerOutput = outputLayerNorm.forward(outputDense.forward(intermediate).add(attentionOutput));
        return new Result(layerOutput, self.probs(), crossProbs, present);
    }
}
