package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.nn.Embedding;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.weights.Weights;

/**
 * Word + position + token-type embeddings, then LayerNorm. Port of {@code BertEmbeddings} (modeling_bert.py).
 * Dropout is the identity at inference and is omitted throughout the package.
 */
final class BertEmbeddings {
    final Embedding wordEmbeddings;      // (vocab_size, hidden)
    final Embedding positionEmbeddings;  // (max_position_embeddings, hidden)
    final Embedding tokenTypeEmbeddings; // (type_vocab_size, hidden)
    final LayerNorm layerNorm;
    private final String positionEmbeddingType;

    BertEmbeddings(BertConfig config, Weights w) {
        int hidden = config.hiddenSize();
        boolean fresh = !w.contains("word_embeddings.weight");
        this.wordEmbeddings = new Embedding(w.prefix("word_embeddings"), config.vocabSize(), hidden);
        Integer pad = config.padTokenId();
        if (fresh && pad != null && pad >= 0 && pad < config.vocabSize() && isPlainFloat(wordEmbeddings.weight)) {
            // _init_weights zeroes the padding_idx row of nn.Embedding(vocab, hidden, padding_idx=pad_token_id).
            wordEmbeddings.weight.set(new NDIndex(pad), 0f);
        }
        this.positionEmbeddings = new Embedding(w.prefix("position_embeddings"), config.maxPositionEmbeddings(), hidden);
        this.tokenTypeEmbeddings = new Embedding(w.prefix("token_type_embeddings"), config.typeVocabSize(), hidden);
        // "LayerNorm" is not snake-cased in Python, to keep TensorFlow's variable names: it is the checkpoint key.
        this.layerNorm = new LayerNorm(w.prefix("LayerNorm"), hidden, config.layerNormEps());
        // position_ids / token_type_ids are non-persistent buffers; older checkpoints still hold position_ids, which
        // Python drops without a warning (they are model buffers). They are recomputed here.
        w.ignoreUnexpected("(^|\\.)embeddings\\.(position_ids|token_type_ids)$");
        this.positionEmbeddingType = config.positionEmbeddingType();
        if (!BertConfig.POSITION_EMBEDDING_TYPES.contains(positionEmbeddingType)) {
            throw new IllegalArgumentException("position_embedding_type must be one of "
                    + BertConfig.POSITION_EMBEDDING_TYPES + ", got '" + positionEmbeddingType + "'");
        }
    }

    private static boolean isPlainFloat(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 || a.getDataType() == DataType.FLOAT16;
    }

    /**
     * @param inputIds (batch, seq) int64, or null when {@code inputsEmbeds} (batch, seq, hidden) is given
     * @param tokenTypeIds (batch, seq), or null for all zeros (segment A)
     * @param positionIds (batch or 1, seq), or null for {@code past .. past + seq - 1}
     * @param pastLength the number of cached positions before these tokens
     * @return (batch, seq, hidden)
     */
    NDArray forward(NDArray inputIds, NDArray tokenTypeIds, NDArray positionIds, NDArray inputsEmbeds, long pastLength) {
        NDArray first = inputIds != null ? inputIds : inputsEmbeds;
        Shape shape = first.getShape();
        long batch = shape.get(0);
        long seq = shape.get(1);
        if (positionIds == null) {
            positionIds = first.getManager()
                    .arange((int) pastLength, (int) (pastLength + seq), 1, DataType.INT64).reshape(1, seq);
        }
        if (tokenTypeIds == null) {
            tokenTypeIds = first.getManager().zeros(new Shape(batch, seq), DataType.INT64);
        }
        NDArray embeddings = inputsEmbeds != null ? inputsEmbeds : wordEmbeddings.forward(inputIds);
        embeddings = embeddings.add(tokenTypeEmbeddings.forward(tokenTypeIds));
        if (positionEmbeddingType.equals("absolute")) {
            embeddings = embeddings.add(positionEmbeddings.forward(positionIds));
        }
        return layerNorm.forward(embeddings);
    }
}
