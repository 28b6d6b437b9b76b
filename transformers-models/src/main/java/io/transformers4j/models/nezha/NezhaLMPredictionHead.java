package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Activations;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;
import java.util.function.UnaryOperator;

/**
 * Transform (dense, activation, LayerNorm), then the vocabulary projection. Port of {@code NezhaLMPredictionHead} with
 * {@code NezhaPredictionHeadTransform} (copies of BERT's).
 *
 * <p>Two ties, both explicit: {@code decoder.weight} is the word-embedding matrix when {@code tie_word_embeddings}
 * (the default), and {@code decoder.bias} is always the head's own {@code bias} (Python sets
 * {@code self.decoder.bias = self.bias}). Checkpoints therefore hold only {@code cls.predictions.bias}.
 */
final class NezhaLMPredictionHead {
    private final Linear transformDense;     // transform.dense (hidden, hidden)
    private final UnaryOperator<NDArray> transformAct;
    private final LayerNorm transformLayerNorm; // transform.LayerNorm
    private final Linear decoder;            // weight (vocab, hidden), bias = this head's bias (vocab)

    /** @param wordEmbeddings the input embedding matrix (vocab, hidden) the decoder shares when tied */
    NezhaLMPredictionHead(NezhaConfig config, Weights w, NDArray wordEmbeddings) {
        Weights t = w.prefix("transform");
        this.transformDense = new Linear(t.prefix("dense"), config.hiddenSize(), config.hiddenSize(), true);
        this.transformAct = Activations.get(config.hiddenAct());
        this.transformLayerNorm = new LayerNorm(t.prefix("LayerNorm"), config.hiddenSize(), config.layerNormEps());
        NDArray bias = w.get("bias", Init.ZEROS, config.vocabSize());
        Weights d = w.prefix("decoder");
        NDArray weight = config.tieWordEmbeddings()
                ? d.tie("weight", wordEmbeddings)
                : d.get("weight", Init.NORMAL, config.vocabSize(), config.hiddenSize());
        this.decoder = new Linear(weight, d.tie("bias", bias));
    }

    /** (batch, seq, hidden) -> (batch, seq, vocab). */
    NDArray forward(NDArray hidden) {
        NDArray h = transformLayerNorm.forward(transformAct.apply(transformDense.forward(hidden)));
        return decoder.forward(h);
    }
}
