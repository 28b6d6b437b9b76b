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
        return rmsNorm(x, weight, eps, null);
    }

    /**
     * As {@link #rmsNorm(NDArray, NDArray, float)}, with {@code epsTensor} the same eps as a float32 scalar tensor (or
     * null): a module that runs many times (a decoder's norms, once per generated token) creates it once instead of
     * one scalar tensor per call where the op-by-op form runs. The sum is the same float32 addition either way.
     *
     * <p>Float32 and bfloat16 go through {@link TorchOps#fusedRmsNorm} where the native kernels run (one call
     * instead of eight LibTorch ops; same roundings, the mean of squares summed in another order).
     */
    public static NDArray rmsNorm(NDArray x, NDArray weight, float eps, NDArray epsTensor) {
        NDArray fused = TorchOps.fusedRmsNorm(x, weight, eps);
        if (fused != null) {
            return fused;
        }
        return opByOp(x, weight, epsTensor != null ? epsTensor : x.getManager().create(eps));
    }

    /** The op-by-op form, Python's own: the reference the fused kernel is tested against. */
    public static NDArray opByOp(NDArray x, NDArray weight, NDArray eps) {
        // Each temporary is closed as soon as it is used, as Python's reference counting frees it: over a long prompt
        // the float32 copies are several MB each, and the enclosing scope would otherwise hold them all until the
        // layer returns. Closing early changes no number and adds no native call (a closed array is not freed again).
        DType inputType = TorchOps.dtypeOf(x); // DJL's getDataType() cannot name bfloat16
        boolean upcast = inputType != DType.F32;
        NDArray h = upcast ? TorchOps.toDType(x, DType.F32) : x;
        NDArray squared = h.square();
        NDArray variance = squared.mean(new int[] {-1}, true);         // (..., 1)
        squared.close();
        NDArray shifted = variance.add(eps);
        variance.close();
        NDArray scale = TorchOps.rsqrt(shifted);
        shifted.close();
        NDArray normed = h.mul(scale);
        scale.close();
        if (upcast) {
            h.close();
            NDArray back = TorchOps.toDType(normed, inputType);
            normed.close();
            normed = back;
        }
        NDArray out = normed.mul(weight);
        normed.close();
        return out;
    }
}
