package io.transformers4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.Bf16Gemv;
import io.transformers4j.torch.ManagedArraysTest;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
import org.junit.jupiter.api.Test;

/** The fused rotary embedding against Python's ops (x * cos + rotate_half(x) * sin): the same bits. */
class RotaryEmbeddingTest extends ManagedArraysTest {

    @Test
    void fusedEqualsOpsToTheBit() {
        assumeTrue(Bf16Gemv.isAvailable(), Bf16Gemv::unavailableReason);
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            for (int seq : new int[] {1, 7}) {
                // a projection viewed as heads: (B, T, H, D) transposed to (B, H, T, D), not contiguous
                NDArray x = cast(manager.randomNormal(new Shape(2, seq, 3, 64)), dtype).transpose(0, 2, 1, 3);
                NDArray[] cosSin = RotaryEmbedding.cosSin(manager.arange(0, seq).reshape(1, seq),
                        RotaryEmbedding.invFreq(64, 10000), dtype);
                NDArray c = cosSin[0].expandDims(1); // (1, 1, T, D): broadcast over batch and heads
                NDArray s = cosSin[1].expandDims(1);
                NDArray fused = TorchOps.fusedRotary(x, c, s);
                assertNotNull(fused, dtype + " seq=" + seq);
                assertEquals(x.getShape(), fused.getShape());
                NDArray ops = x.mul(c).add(RotaryEmbedding.rotateHalf(x).mul(s));
                assertArrayEquals(floats(ops), floats(fused), dtype + " seq=" + seq);
                assertArrayEquals(floats(ops), floats(RotaryEmbedding.applyRotaryPosEmb(x, c, s)));
                // a partial rotary dimension (Persimmon) is a strided slice of the heads
                NDArray part = x.get(new NDIndex("..., :32"));
                NDArray[] partTables = RotaryEmbedding.cosSin(manager.arange(0, seq).reshape(1, seq),
                        RotaryEmbedding.invFreq(32, 10000), dtype);
                NDArray pc = partTables[0].expandDims(1);
                NDArray ps = partTables[1].expandDims(1);
                assertArrayEquals(floats(part.mul(pc).add(RotaryEmbedding.rotateHalf(part).mul(ps))),
                        floats(TorchOps.fusedRotary(part, pc, ps)));
            }
        }
    }

    @Test
    void leavesOtherInputsToLibTorch() {
        assumeTrue(Bf16Gemv.isAvailable(), Bf16Gemv::unavailableReason);
        NDArray x = manager.randomNormal(new Shape(1, 2, 3, 8));
        NDArray t = manager.randomNormal(new Shape(1, 1, 3, 8));
        assertNull(TorchOps.fusedRotary(TorchOps.toDType(x, DType.F16), TorchOps.toDType(t, DType.F16),
                TorchOps.toDType(t, DType.F16)));
        assertNull(TorchOps.fusedRotary(x, TorchOps.toDType(t, DType.BF16), t)); // tables of another dtype
        assertNull(TorchOps.fusedRotary(x, manager.randomNormal(new Shape(1, 1, 2, 8)), t)); // wrong length
        assertNull(TorchOps.fusedRotary(x.reshape(2, 3, 8), t.reshape(3, 8), t.reshape(3, 8))); // not 4-D
    }

}
