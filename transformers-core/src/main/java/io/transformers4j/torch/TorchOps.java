package io.transformers4j.torch;

import ai.djl.ndarray.NDArray;
import io.transformers4j.weights.DType;

/**
 * LibTorch operations DJL's NDArray API lacks, reached through the bridge to libtorch's exported C functions.
 * (Being filled in: see LibTorchBridge.)
 */
public final class TorchOps {
    private TorchOps() {}

    /** Casts to {@code dtype}, including bfloat16, which DJL's typed API cannot create. */
    public static NDArray toDType(NDArray x, DType dtype) {
        if (dtype.djl() != null) {
            return x.toType(dtype.djl(), true);
        }
        throw new UnsupportedOperationException("cast to " + dtype + " needs the LibTorch bridge");
    }
}
