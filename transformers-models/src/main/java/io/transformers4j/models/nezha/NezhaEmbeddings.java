package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.nn.Embedding;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.weights.Weights;

/**
 * Word + token-type embeddings, then LayerNorm. Port of {@code NezhaEmbeddings} (models/nezha/modeling_nezha.py):
 * unlike BERT there is no absolute position embedding; positions enter the attention as relative encodings.
 */
final class NezhaEmbeddings {
    final Embedding wordEmbeddings;      // (vocab, hidden)
    final Embedding tokenTypeEmbeddings; // (type_vocab, hidden)
    final LayerNorm layerNorm;

    NezhaEmbeddings(NezhaConfig config, Weights w) {
        this.wordEmbeddings = new Embedding(w.prefix("word_embeddings"), config.vocabSize(), config.hiddenSize());
        this.tokenTypeEmbeddings = new Embedding(w.prefix("token_type_embeddings"), config.typeVocabSize(),
                config.hiddenSize());
        // "LayerNorm", not snake-cased: the TensorFlow checkpoints' variable name
        this.layerNorm = new LayerNorm(w.prefix("LayerNorm"), config.hiddenSize(), config.layerNormEps());
    }

    /**
     * @param inputIds (B, T), or null when {@code inputsEmbeds} (B, T, hidden) is given
     * @param tokenTypeIds (B, T), or null for all zeros (sentence A)
     */
    NDArray forward(NDArray inputIds, NDArray tokenTypeIds, NDArray inputsEmbeds) {
        if (inputsEmbeds == null) {
            inputsEmbeds = wordEmbeddings.forward(inputIds); // (B, T, hidden)
        }
        if (tokenTypeIds == null) {
            Shape s = inputsEmbeds.getShape();
            tokenTypeIds = inputsEmbeds.getManager().zeros(new Shape(s.get(0), s.get(1)), DataType.INT64);
        }
        NDArray embeddings = inputsEmbeds.add(tokenTypeEmbeddings.forward(tokenTypeIds));
        return layerNorm.forward(embeddings); // dropout is the identity at inference
    }
}
