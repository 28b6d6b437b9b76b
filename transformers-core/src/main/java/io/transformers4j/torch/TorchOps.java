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

    /** Zero-copy tensor over {@code buffer} (kept referenced while the tensor lives). */
    public static NDArray fromBlob(java.nio.ByteBuffer buffer, long[] shape, DType dtype, ai.djl.ndarray.NDManager manager) {
        throw new UnsupportedOperationException("fromBlob of " + dtype + " needs the LibTorch bridge");
    }

    /** The tensor's dtype, asked of LibTorch (safe for bf16). */
    public static DType dtypeOf(NDArray x) {
        return DType.fromDjl(x.getDataType());
    }

    /** Contiguous little-endian bytes of {@code x} (works for bf16 through the bridge). */
    public static java.nio.ByteBuffer toByteBuffer(NDArray x) {
        return x.toByteBuffer();
    }
}
