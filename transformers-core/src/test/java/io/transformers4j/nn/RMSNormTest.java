package io.transformers4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.Bf16Gemv;
import io.transformers4j.torch.ManagedArraysTest;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
import org.junit.jupiter.api.Test;

/** The fused native RMSNorm against Python's op-by-op order (RMSNorm.opByOp), and what it leaves to LibTorch. */
class RMSNormTest extends ManagedArraysTest {

    @Test
    void fusedEqualsOpByOp() {
        assumeTrue(Bf16Gemv.isAvailable(), Bf16Gemv::unavailableReason);
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            // one decoding row, a prompt's rows, a width that is not a multiple of 16
            for (Shape shape : new Shape[] {new Shape(1, 1, 1024), new Shape(2, 5, 64), new Shape(3, 40)}) {
                long n = shape.get(shape.dimension() - 1);
                NDArray x = cast(manager.randomNormal(shape).mul(3), dtype);
                NDArray w = cast(manager.randomNormal(new Shape(n)), dtype);
                NDArray fused = TorchOps.fusedRmsNorm(x, w, 1e-6f);
                assertNotNull(fused, dtype + " " + shape);
                assertEquals(shape, fused.getShape());
                assertEquals(dtype, TorchOps.dtypeOf(fused));
                float[] got = floats(fused);
                float[] ref = floats(RMSNorm.opByOp(x, w, manager.create(1e-6f)));
                int equal = 0;
                for (int i = 0; i < got.length; i++) {
                    // float32: a rounding of the mean of squares; bfloat16: at most one rounding step apart
                    float tol = dtype == DType.F32 ? 4e-6f * Math.max(1f, Math.abs(ref[i]))
                            : Math.ulp(ref[i]) * 65536f;
                    assertTrue(Math.abs(got[i] - ref[i]) <= tol, dtype + " " + shape + " [" + i + "]: " + got[i]
                            + " vs " + ref[i]);
                    equal += got[i] == ref[i] ? 1 : 0;
                }
                if (dtype == DType.BF16) {
                    assertTrue(equal >= got.length * 95 / 100, shape + ": only " + equal + " of " + got.length
                            + " bfloat16 values equal the op-by-op ones");
                }
                // the public entry point takes the fused path and gives the same array
                assertArrayEquals(got, floats(RMSNorm.rmsNorm(x, w, 1e-6f)));
            }
        }
    }

    @Test
    void leavesOtherInputsToLibTorch() {
        assumeTrue(Bf16Gemv.isAvailable(), Bf16Gemv::unavailableReason);
        NDArray x = manager.randomNormal(new Shape(4, 32));
        NDArray w = manager.randomNormal(new Shape(32));
        assertNull(TorchOps.fusedRmsNorm(TorchOps.toDType(x, DType.F16), TorchOps.toDType(w, DType.F16), 1e-6f));
        assertNull(TorchOps.fusedRmsNorm(x, TorchOps.toDType(w, DType.BF16), 1e-6f)); // weight of another dtype
        assertNull(TorchOps.fusedRmsNorm(manager.randomNormal(new Shape(32, 4)).transpose(), w, 1e-6f));
        assertNull(TorchOps.fusedRmsNorm(x, manager.randomNormal(new Shape(16)), 1e-6f));
        // and rmsNorm still computes them, op by op
        NDArray half = RMSNorm.rmsNorm(TorchOps.toDType(x, DType.F16), TorchOps.toDType(w, DType.F16), 1e-6f);
        assertEquals(DType.F16, TorchOps.dtypeOf(half));
    }

}
