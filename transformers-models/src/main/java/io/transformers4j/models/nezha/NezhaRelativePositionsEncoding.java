package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.nn.Embedding;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;

/**
 * NEZHA's functional relative position encoding: a fixed sinusoidal vector for every clipped distance key - query in
 * [-max_relative_position, max_relative_position]. Port of {@code NezhaRelativePositionsEncoding}
 * (models/nezha/modeling_nezha.py).
 *
 * <p>Python registers the full (max_position_embeddings, max_position_embeddings, head_dim) lookup as a
 * non-persistent buffer, one per layer, so checkpoints do not hold it and it is computed here from the config. We
 * keep only the (2 * max_relative_position + 1, head_dim) sinusoid table, shared by every layer, and expand it for the
 * length of each input: the same values (Python builds the lookup with a one-hot matmul, an exact row selection).
 */
final class NezhaRelativePositionsEncoding {

    private final int maxLength;
    private final int maxRelativePosition;
    private final NDArray embeddingsTable; // (2 * max_relative_position + 1, depth)

    /**
     * @param manager the model's (weights') manager: the table lives as long as the model
     * @param dtype the parameters' dtype (Python's model.to(dtype) casts the buffer too); null for float32
     */
    NezhaRelativePositionsEncoding(NDManager manager, DType dtype, int length, int depth, int maxRelativePosition) {
        if (depth % 2 != 0) {
            throw new IllegalArgumentException("NEZHA's sinusoidal relative positions need an even attention head size "
                    + "(hidden_size / num_attention_heads), got " + depth);
        }
        this.maxLength = length;
        this.maxRelativePosition = maxRelativePosition;
        int vocabSize = maxRelativePosition * 2 + 1;
        try (NDManager tmp = manager.newSubManager()) {
            // The sinusoids of Python, in float32, op for op.
            NDArray position = tmp.arange(0, vocabSize, 1, DataType.INT64).toType(DataType.FLOAT32, false)
                    .reshape(vocabSize, 1);
            NDArray divTerm = tmp.arange(0, depth, 2, DataType.INT64).toType(DataType.FLOAT32, false)
                    .mul((float) (-Math.log(10000.0) / depth)).exp(); // (depth / 2)
            NDArray angles = position.mul(divTerm); // (vocab, depth / 2)
            // even columns sin, odd columns cos: interleave by stacking on a last axis of 2
            NDArray table = NDArrays.stack(new NDList(angles.sin(), angles.cos()), 2).reshape(vocabSize, depth);
            if (dtype != null && dtype != DType.F32) {
                table = TorchOps.toDType(table, dtype);
            }
            table.attach(manager);
            this.embeddingsTable = table;
        }
    }

    /**
     * Python's {@code positions_encoding[:length, :length, :]}: the (length, length, depth) vectors of the clipped
     * distances j - i; built in {@code m} (the caller's forward scope).
     */
    NDArray forward(NDManager m, long length) {
        if (length > maxLength) {
            throw new IllegalArgumentException("NEZHA's relative positions cover at most max_position_embeddings = "
                    + maxLength + " tokens, got a sequence of " + length);
        }
        NDArray rangeVec = m.arange(0, length, 1, DataType.INT64);
        NDArray distance = rangeVec.reshape(1, length).sub(rangeVec.reshape(length, 1)); // (i, j) -> j - i
        NDArray index = distance.clip(-maxRelativePosition, maxRelativePosition).add(maxRelativePosition);
        return Embedding.embedding(index.toType(DataType.INT64, false), embeddingsTable); // (L, L, depth)
    }
}
