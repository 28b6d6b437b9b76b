package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;

/** Attention output projection, residual, LayerNorm. Port of {@code BertSelfOutput} (modeling_bert.py). */
final class BertSelfOutput {
    final Linear dense;        // (hidden, hidden)
    final LayerNorm layerNorm;

    BertSelfOutput(BertConfig config, Weights w) {
        this.dense = new Linear(w.prefix("dense"), config.hiddenSize(), config.hiddenSize(), true);
        this.layerNorm = new LayerNorm(w.prefix("LayerNorm"), config.hiddenSize(), config.layerNormEps());
    }

    NDArray forward(NDArray hidden, NDArray input) {
        return layerNorm.forward(dense.forward(hidden).add(input));
    }
}
