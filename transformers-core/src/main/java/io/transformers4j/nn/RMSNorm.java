package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
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
        return rmsNorm(x, weight, x.getManager().create(eps));
    }

    /**
     * As {@link #rmsNorm(NDArray, NDArray, float)} with {@code eps} a float32 scalar tensor: a module that runs many
     * times (a decoder's norms, once per generated token) creates it once instead of one scalar tensor per call. The
     * sum is the same float32 addition either way.
     */
    public static NDArray rmsNorm(NDArray x, NDArray weight, NDArray eps) {
        DType inputType = TorchOps.dtypeOf(x); // DJL's getDataType() cannot name bfloat16
        NDArray h = inputType == DType.F32 ? x : TorchOps.toDType(x, DType.F32);
        NDArray variance = h.square().mean(new int[] {-1}, true);     // (..., 1)
        h = h.mul(TorchOps.rsqrt(variance.add(eps)));
        if (inputType != DType.F32) {
            h = TorchOps.toDType(h, inputType);
        }
        return h.mul(weight);
    }
}
