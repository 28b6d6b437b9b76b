package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;

/** Both pre-training heads: masked LM and next sentence. Port of {@code BertPreTrainingHeads}. */
final class BertPreTrainingHeads {
    final BertLMPredictionHead predictions;
    final Linear seqRelationship; // (2, hidden)

    BertPreTrainingHeads(BertConfig config, Weights w, NDArray wordEmbeddings) {
        this.predictions = new BertLMPredictionHead(config, w.prefix("predictions"), wordEmbeddings);
        this.seqRelationship = new Linear(w.prefix("seq_relationship"), config.hiddenSize(), 2, true);
    }

    /** @return {prediction scores (batch, seq, vocab), seq relationship scores (batch, 2)} */
    NDArray[] forward(NDArray sequenceOutput, NDArray pooledOutput) {
        return new NDArray[] {predictions.forward(sequenceOutput), seqRelationship.forward(pooledOutput)};
    }
}
