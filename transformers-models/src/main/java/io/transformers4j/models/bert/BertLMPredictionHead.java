package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;

/**
 * Transform, then the vocabulary projection. Port of {@code BertLMPredictionHead} (modeling_bert.py).
 *
 * <p>Two ties, both explicit here: {@code decoder.weight} is the word-embedding matrix when
 * {@code tie_word_embeddings} (the default), and {@code decoder.bias} is always the head's own {@code bias} parameter
 * (Python sets {@code self.decoder.bias = self.bias}). Checkpoints therefore hold only {@code cls.predictions.bias}.
 */
final class BertLMPredictionHead {
    final BertPredictionHeadTransform transform;
    final NDArray bias;    // (vocab)
    final Linear decoder;  // weight (vocab, hidden), bias = this.bias

    /** @param wordEmbeddings the input embedding matrix (vocab, hidden) the decoder shares when tied */
    BertLMPredictionHead(BertConfig config, Weights w, NDArray wordEmbeddings) {
        this.transform = new BertPredictionHeadTransform(config, w.prefix("transform"));
        this.bias = w.get("bias", Init.ZEROS, config.vocabSize());
        Weights d = w.prefix("decoder");
        NDArray weight = config.tieWordEmbeddings()
                ? d.tie("weight", wordEmbeddings)
                : d.get("weight", Init.NORMAL, config.vocabSize(), config.hiddenSize());
        this.decoder = new Linear(weight, d.tie("bias", bias));
    }

    /** (batch, seq, hidden) -> (batch, seq, vocab). */
    NDArray forward(NDArray hidden) {
        return decoder.forward(transform.forward(hidden));
    }
}
