package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;

/**
 * Root-mean-square layer norm (T5LayerNorm / LlamaRMSNorm): {@code weight * x / sqrt(mean(x^2) + eps)}, no mean
 * subtraction, no bias.
 */
public final class RMSNorm {
    public final NDArray weight; // (dim)
    private final float eps;

    public RMSNorm(Weights w, long dim, double eps) {
        this.weight = w.get("weight", Init.ONES, dim);
        this.eps = (float) eps;
    }

    public NDArray forward(NDArray x) {
        return rmsNorm(x, weight, eps);
    }

    /**
     * Python's order of operations (LlamaRMSNorm.forward): the statistics and the scaling in float32 whatever the
     * input type (half-precision squares overflow), then the cast back to the input type, and only then the
     * multiplication by {@code weight}, so a float16 model rounds exactly where Python's does.
     */
    public static NDArray rmsNorm(NDArray x, NDArray weight, float eps) {
        DataType inputType = x.getDataType();
        NDArray h = x.toType(DataType.FLOAT32, false);
        NDArray variance = h.square().mean(new int[] {-1}, true);                 // (..., 1)
        // torch.rsqrt is 1 / sqrt, rounded twice; a division by sqrt would round differently.
        NDArray inverse = variance.add(eps).sqrt().getNDArrayInternal().rdiv(1f); // (..., 1)
        h = h.mul(inverse).toType(inputType, false);
        return h.mul(weight);
    }
}
