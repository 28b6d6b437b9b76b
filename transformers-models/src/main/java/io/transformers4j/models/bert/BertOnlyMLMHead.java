package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.weights.Weights;

/** The masked-LM head alone ({@code cls.predictions}). Port of {@code BertOnlyMLMHead}. */
final class BertOnlyMLMHead {
    final BertLMPredictionHead predictions;

    BertOnlyMLMHead(BertConfig config, Weights w, NDArray wordEmbeddings) {
        this.predictions = new BertLMPredictionHead(config, w.prefix("predictions"), wordEmbeddings);
    }

    NDArray forward(NDArray sequenceOutput) {
        return predictions.forward(sequenceOutput);
    }
}
