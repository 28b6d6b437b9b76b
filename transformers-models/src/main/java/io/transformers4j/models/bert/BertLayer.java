package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.weights.Weights;
import java.util.Arrays;

/**
 * One transformer block: self-attention, optional cross-attention (decoders with {@code add_cross_attention}), then
 * the feed-forward. Port of {@code BertLayer} (modeling_bert.py).
 */
final class BertLayer {

    /**
     * A block's results. {@code presentKeyValue} is null for encoders; for decoders it holds {self key, self value}
     * and, after cross-attention, {cross key, cross value} (Python's 2- or 4-tuple).
     */
    record Output(NDArray hidden, NDArray selfAttention, NDArray crossAttention, NDArray[] presentKeyValue) {}

    final BertAttention attention;
    final BertAttention crossattention; // null unless add_cross_attention
    final BertIntermediate intermediate;
    final BertOutput output;
    private final boolean isDecoder;

    BertLayer(BertConfig config, Weights w) {
        this.isDecoder = config.isDecoder();
        this.attention = new BertAttention(config, w.prefix("attention"), config.positionEmbeddingType());
        if (config.addCrossAttention()) {
            if (!isDecoder) {
                throw new IllegalArgumentException("BertLayer should be used as a decoder model if cross attention is "
                        + "added: set is_decoder=true together with add_cross_attention=true");
            }
            // Cross-attention positions are those of the encoder: Python forces "absolute" (no relative scores).
            this.crossattention = new BertAttention(config, w.prefix("crossattention"), "absolute");
        } else {
            this.crossattention = null;
        }
        this.intermediate = new BertIntermediate(config, w.prefix("intermediate"));
        this.output = new BertOutput(config, w.prefix("output"));
    }

    Output forward(NDArray hidden, NDArray attentionMask, NDArray headMask, NDArray encoderHidden,
            NDArray encoderAttentionMask, NDArray[] past, boolean outputAttentions) {
        NDArray[] selfPast = past == null ? null : Arrays.copyOfRange(past, 0, 2);
        BertSelfAttention.Output self = attention.forward(hidden, attentionMask, headMask, null, null, selfPast,
                outputAttentions);
        NDArray attentionOutput = self.context();
        NDArray[] present = self.presentKeyValue();

        NDArray crossProbs = null;
        if (isDecoder && encoderHidden != null) {
            if (crossattention == null) {
                throw new IllegalArgumentException("If `encoder_hidden_states` are passed, BertLayer has to be "
                        + "instantiated with cross-attention layers by setting `config.add_cross_attention=True`");
            }
            // The cross-attention cache sits at positions 2, 3 of the layer's past.
            NDArray[] crossPast = past == null ? null : Arrays.copyOfRange(past, past.length - 2, past.length);
            BertSelfAttention.Output cross = crossattention.forward(attentionOutput, attentionMask, headMask,
                    encoderHidden, encoderAttentionMask, crossPast, outputAttentions);
            attentionOutput = cross.context();
            crossProbs = cross.probs();
            present = new NDArray[] {present[0], present[1], cross.presentKeyValue()[0], cross.presentKeyValue()[1]};
        }
        // Python may apply the feed-forward in chunks along the sequence (chunk_size_feed_forward): a memory saving
        // with the same result, since the block is position-wise. We apply it once.
        NDArray layerOutput = output.forward(intermediate.forward(attentionOutput), attentionOutput);
        return new Output(layerOutput, self.probs(), crossProbs, present);
    }
}
