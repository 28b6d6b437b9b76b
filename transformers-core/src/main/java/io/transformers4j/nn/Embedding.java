package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;

/** {@code torch.nn.Embedding}: rows of {@code weight} (num_embeddings, embedding_dim) picked by integer ids. */
public final class Embedding {
    public final NDArray weight; // (num_embeddings, dim)

    public Embedding(Weights w, long numEmbeddings, long dim) {
        this.weight = w.get("weight", Init.NORMAL, numEmbeddings, dim);
    }

    public Embedding(NDArray weight) {
        this.weight = weight;
    }

    public NDArray forward(NDArray ids) {
        return embedding(ids, weight);
    }

    /**
     * Looks up {@code ids} (any shape, int64) in {@code weight}. Goes through LibTorch's embedding op with the ids as
     * first operand, so the result belongs to the caller's manager, not the weights' (NOTES-DJL.md).
     */
    public static NDArray embedding(NDArray ids, NDArray weight) {
        long n = weight.getShape().get(0);
        // LibTorch would abort on an out-of-range id with an opaque index error; say which id is at fault.
        long min = ids.min().getLong();
        long max = ids.max().getLong();
        if (min < 0 || max >= n) {
            throw new IndexOutOfBoundsException("Token id " + (min < 0 ? min : max) + " is out of range for an "
                    + "embedding table of " + n + " rows");
        }
        return JniUtils.embedding((PtNDArray) ids, (PtNDArray) weight, false);
    }
}
