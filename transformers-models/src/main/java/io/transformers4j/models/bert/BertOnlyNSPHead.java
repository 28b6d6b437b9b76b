package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;

/** The next-sentence head alone ({@code cls.seq_relationship}). Port of {@code BertOnlyNSPHead}. */
final class BertOnlyNSPHead {
    final Linear seqRelationship; // (2, hidden)

    BertOnlyNSPHead(BertConfig config, Weights w) {
        this.seqRelationship = new Linear(w.prefix("seq_relationship"), config.hiddenSize(), 2, true);
    }

    /** (batch, hidden) pooled output -> (batch, 2). */
    NDArray forward(NDArray pooledOutput) {
        return seqRelationship.forward(pooledOutput);
    }
}
