package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;

/** tanh(dense(hidden state of the first token, [CLS])). Port of {@code BertPooler} (modeling_bert.py). */
final class BertPooler {
    final Linear dense; // (hidden, hidden)

    BertPooler(BertConfig config, Weights w) {
        this.dense = new Linear(w.prefix("dense"), config.hiddenSize(), config.hiddenSize(), true);
    }

    /** (batch, seq, hidden) -> (batch, hidden). */
    NDArray forward(NDArray hidden) {
        return dense.forward(hidden.get(":, 0")).tanh();
    }
}
