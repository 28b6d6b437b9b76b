package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.weights.Weights;
import java.util.ArrayList;
import java.util.List;

/** The stack of {@link BertLayer}s. Port of {@code BertEncoder} (modeling_bert.py). */
final class BertEncoder {
    final List<BertLayer> layer = new ArrayList<>();
    private final boolean addCrossAttention;

    BertEncoder(BertConfig config, Weights w) {
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layer.add(new BertLayer(config, w.prefix("layer", i)));
        }
        this.addCrossAttention = config.addCrossAttention();
    }

    /**
     * @param headMask (num_layers, 1 or batch, heads, 1, 1) or null
     * @param pastKeyValues per layer the decoder cache, or null
     */
    BaseModelOutputWithPastAndCrossAttentions forward(NDArray hidden, NDArray attentionMask, NDArray headMask,
            NDArray encoderHidden, NDArray encoderAttentionMask, List<NDArray[]> pastKeyValues, boolean useCache,
            boolean outputAttentions, boolean outputHiddenStates) {
        List<NDArray> allHiddenStates = outputHiddenStates ? new ArrayList<>() : null;
        List<NDArray> allSelfAttentions = outputAttentions ? new ArrayList<>() : null;
        List<NDArray> allCrossAttentions = outputAttentions && addCrossAttention ? new ArrayList<>() : null;
        List<NDArray[]> nextDecoderCache = useCache ? new ArrayList<>() : null;
        for (int i = 0; i < layer.size(); i++) {
            if (outputHiddenStates) {
                allHiddenStates.add(hidden);
            }
            NDArray layerHeadMask = headMask == null ? null : headMask.get(i);
            NDArray[] past = pastKeyValues == null ? null : pastKeyValues.get(i);
            BertLayer.Output out = layer.get(i).forward(hidden, attentionMask, layerHeadMask, encoderHidden,
                    encoderAttentionMask, past, outputAttentions);
            hidden = out.hidden();
            if (useCache) {
                nextDecoderCache.add(out.presentKeyValue());
            }
            if (outputAttentions) {
                allSelfAttentions.add(out.selfAttention());
                if (addCrossAttention && out.crossAttention() != null) {
                    allCrossAttentions.add(out.crossAttention());
                }
            }
        }
        if (outputHiddenStates) {
            allHiddenStates.add(hidden);
        }
        return new BaseModelOutputWithPastAndCrossAttentions(hidden, nextDecoderCache, allHiddenStates,
                allSelfAttentions, allCrossAttentions);
    }
}
