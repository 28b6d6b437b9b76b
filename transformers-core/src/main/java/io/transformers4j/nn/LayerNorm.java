package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;

/** {@code torch.nn.LayerNorm} over the last dimension. */
public final class LayerNorm {
    public final NDArray weight; // (dim)
    public final NDArray bias;   // (dim)
    private final float eps;
    private final long dim;

    public LayerNorm(Weights w, long dim, double eps) {
        this.weight = w.get("weight", Init.ONES, dim);
        this.bias = w.get("bias", Init.ZEROS, dim);
        this.eps = (float) eps;
        this.dim = dim;
    }

    public NDArray forward(NDArray x) {
        return ai.djl.nn.norm.LayerNorm.layerNorm(x, new Shape(dim), weight, bias, eps).singletonOrThrow();
    }
}
