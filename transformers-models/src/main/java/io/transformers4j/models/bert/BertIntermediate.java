package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Activations;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;
import java.util.function.UnaryOperator;

/** Feed-forward up-projection and activation. Port of {@code BertIntermediate} (modeling_bert.py). */
final class BertIntermediate {
    final Linear dense; // (intermediate, hidden)
    private final UnaryOperator<NDArray> intermediateActFn;

    BertIntermediate(BertConfig config, Weights w) {
        this.dense = new Linear(w.prefix("dense"), config.hiddenSize(), config.intermediateSize(), true);
        this.intermediateActFn = Activations.get(config.hiddenAct());
    }

    NDArray forward(NDArray hidden) {
        return intermediateActFn.apply(dense.forward(hidden));
    }
}
