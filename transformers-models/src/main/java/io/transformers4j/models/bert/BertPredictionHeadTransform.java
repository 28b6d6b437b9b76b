package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Activations;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;
import java.util.function.UnaryOperator;

/** dense, activation, LayerNorm before the vocabulary projection. Port of {@code BertPredictionHeadTransform}. */
final class BertPredictionHeadTransform {
    final Linear dense; // (hidden, hidden)
    final LayerNorm layerNorm;
    private final UnaryOperator<NDArray> transformActFn;

    BertPredictionHeadTransform(BertConfig config, Weights w) {
        this.dense = new Linear(w.prefix("dense"), config.hiddenSize(), config.hiddenSize(), true);
        this.transformActFn = Activations.get(config.hiddenAct());
        this.layerNorm = new LayerNorm(w.prefix("LayerNorm"), config.hiddenSize(), config.layerNormEps());
    }

    NDArray forward(NDArray hidden) {
        return layerNorm.forward(transformActFn.apply(dense.forward(hidden)));
    }
}
