package io.transformers4j.models.persimmon;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Activations;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;
import java.util.function.UnaryOperator;

/** Port of {@code PersimmonMLP}: {@code dense_4h_to_h(act(dense_h_to_4h(x)))}, act = squared ReLU ("relu2"). */
final class PersimmonMLP {
    private final Linear denseHTo4h; // (intermediate, hidden) + bias
    private final Linear dense4hToH; // (hidden, intermediate) + bias
    private final UnaryOperator<NDArray> act;

    PersimmonMLP(PersimmonConfig config, Weights w) {
        this.denseHTo4h = new Linear(w.prefix("dense_h_to_4h"), config.hiddenSize(), config.intermediateSize(), true);
        this.dense4hToH = new Linear(w.prefix("dense_4h_to_h"), config.intermediateSize(), config.hiddenSize(), true);
        this.act = Activations.get(config.hiddenAct());
    }

    NDArray forward(NDArray hiddenStates) {
        return dense4hToH.forward(act.apply(denseHTo4h.forward(hiddenStates)));
    }
}
