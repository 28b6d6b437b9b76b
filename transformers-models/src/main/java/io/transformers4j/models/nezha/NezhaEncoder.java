package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.AttentionMasks;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.weights.Weights;
import java.util.ArrayList;
import java.util.List;

/**
 * The stack of {@link NezhaLayer}s. Port of {@code NezhaEncoder} (a copy of BertEncoder). It owns the relative
 * position encoding every layer uses (Python gives each layer's attention its own identical buffer).
 */
final class NezhaEncoder {

    final List<NezhaLayer> layer;
    private final boolean addCrossAttention;
    private final NezhaRelativePositionsEncoding relativePositions;

    NezhaEncoder(NezhaConfig config, Weights w) {
        List<NezhaLayer> layers = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(new NezhaLayer(config, w.prefix("layer", i)));
        }
        this.layer = List.copyOf(layers);
        this.addCrossAttention = config.addCrossAttention();
        this.relativePositions = new NezhaRelativePositionsEncoding(w.manager(), w.dtype(),
                config.maxPositionEmbeddings(), config.hiddenSize() / config.numAttentionHeads(),
                config.maxRelativePosition());
    }

    BaseModelOutputWithPastAndCrossAttentions forward(NDArray hidden, NDArray attentionMask, NDArray headMask,
            NDArray encoderHidden, NDArray encoderAttentionMask, List<NDArray[]> past, boolean useCache,
            boolean outputAttentions, boolean outputHiddenStates) {
        List<NDArray> allHidden = outputHiddenStates ? new ArrayList<>() : null;
        List<NDArray> allSelf = outputAttentions ? new ArrayList<>() : null;
        List<NDArray> allCross = outputAttentions && addCrossAttention ? new ArrayList<>() : null;
        List<NDArray[]> nextCache = useCache ? new ArrayList<>() : null;
        for (int i = 0; i < layer.size(); i++) {
            if (allHidden != null) {
                allHidden.add(hidden);
            }
            NezhaLayer.Result r = layer.get(i).forward(hidden, attentionMask,
                    AttentionMasks.layerHeadMask(headMask, i, layer.size()), encoderHidden, encoderAttentionMask,
                    past == null ? null : past.get(i), relativePositions, outputAttentions);
            hidden = r.hidden();
            if (nextCache != null) {
                nextCache.add(r.present());
            }
            if (allSelf != null) {
                allSelf.add(r.selfAttention());
                if (allCross != null && r.crossAttention() != null) {
                    allCross.add(r.crossAttention());
                }
            }
        }
        if (allHidden != null) {
            allHidden.add(hidden);
        }
        return new BaseModelOutputWithPastAndCrossAttentions(hidden, nextCache, allHidden, allSelf, allCross);
    }
}
