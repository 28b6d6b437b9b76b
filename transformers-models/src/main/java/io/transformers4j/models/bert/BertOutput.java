package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;

/** Feed-forward down-projection, residual, LayerNorm. Port of {@code BertOutput} (modeling_bert.py). */
final class BertOutput {
    final Linear dense;        // (hidden, intermediate)
    final LayerNorm layerNorm;

    BertOutput(BertConfig config, Weights w) {
        this.dense = new Linear(w.prefix("dense"), config.intermediateSize(), config.hiddenSize(), true);
        this.layerNorm = new LayerNorm(w.prefix("LayerNorm"), config.hiddenSize(), config.layerNormEps());
    }

    NDArray forward(NDArray hidden, NDArray input) {
        return layerNorm.forward(dense.forward(hidden).add(input));
    }
}
