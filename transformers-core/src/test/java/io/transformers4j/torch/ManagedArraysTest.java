package io.transformers4j.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.transformers4j.weights.DType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the tensor-level tests share: the engine made ready, a manager per test (closed after it, with every array
 * the test made), and the two conversions they compare through.
 */
public abstract class ManagedArraysTest {

    protected NDManager manager;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    @BeforeEach
    void openManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void closeManager() {
        manager.close();
    }

    /** {@code x} in {@code dtype} (x itself for float32); DJL cannot name bfloat16, the bridge casts. */
    protected static NDArray cast(NDArray x, DType dtype) {
        return dtype == DType.F32 ? x : TorchOps.toDType(x, dtype);
    }

    /** The values of {@code x} as float32, whatever its dtype. */
    protected static float[] floats(NDArray x) {
        return TorchOps.toDType(x, DType.F32).toFloatArray();
    }
}
