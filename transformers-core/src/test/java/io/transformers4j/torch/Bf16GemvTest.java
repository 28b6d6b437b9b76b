package io.transformers4j.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The native one-row bfloat16 product against float32 sums of the same bfloat16 values, and its refusals. */
class Bf16GemvTest extends ManagedArraysTest {

    /** Where the library was built (it is on the classpath) and the CPU has AVX512-BF16, the kernel must load. */
    @Test
    void loadsWhereBuiltAndSupported() throws IOException {
        boolean built = Bf16Gemv.class.getClassLoader().getResource("linux-x86-64/libt4jkernels.so") != null;
        Path cpuinfo = Path.of("/proc/cpuinfo");
        boolean cpu = Files.isReadable(cpuinfo) && Files.readString(cpuinfo).contains(" avx512_bf16");
        assumeTrue(built && cpu && !"false".equals(System.getProperty("transformers4j.nativeKernels")),
                "kernel not built here or CPU without AVX512-BF16");
        assertTrue(Bf16Gemv.isAvailable(), Bf16Gemv.unavailableReason());
    }

    @Test
    void equalsFloat32SumsRoundedToBfloat16() {
        assumeTrue(Bf16Gemv.isAvailable(), Bf16Gemv::unavailableReason);
        // in: a multiple of 128 (the unrolled loop), of 32 with a 32-wide tail, and neither (masked tail)
        for (int in : new int[] {1024, 1056, 1000, 7}) {
            NDArray w = bf16(manager.randomNormal(new Shape(37, in)));
            NDArray x = bf16(manager.randomNormal(new Shape(1, 1, in)));
            NDArray y = Bf16Gemv.linear(x, Bf16Gemv.prepare(w));
            assertNotNull(y);
            assertEquals(new Shape(1, 1, 37), y.getShape());
            assertEquals(DType.BF16, TorchOps.dtypeOf(y));
            float[][] ref = reference(x, w);
            float[] got = floats(y);
            // one bfloat16 rounding apart, plus float32 summation-order error where the sum cancels to near zero;
            // and mostly equal: a sum rarely lies so near a rounding boundary that the order of addition decides
            int equal = 0;
            for (int i = 0; i < got.length; i++) {
                float tol = bf16Ulp(ref[0][i]) + 1e-6f * ref[1][i];
                assertTrue(Math.abs(got[i] - ref[0][i]) <= tol,
                        "in=" + in + " row " + i + ": " + got[i] + " vs exact sum rounded " + ref[0][i]);
                equal += got[i] == ref[0][i] ? 1 : 0;
            }
            assertTrue(equal >= got.length * 9 / 10, "in=" + in + ": only " + equal + " of " + got.length
                    + " rows equal the exact sum rounded to nearest-even");
            // LibTorch's own path (oneDNN) agrees to the same rounding
            if (TorchOps.hasMkldnnLinear()) {
                float[] onednn = floats(TorchOps.mkldnnLinear(x, w, null));
                for (int i = 0; i < onednn.length; i++) {
                    float tol = bf16Ulp(ref[0][i]) + 1e-6f * ref[1][i];
                    assertTrue(Math.abs(got[i] - onednn[i]) <= tol, "in=" + in + " row " + i);
                }
            }
        }
    }

    /**
     * Rows split over LibTorch's threads: each row is still one thread's sum, so the result is the same to the bit.
     * DJL's LibTorch ships libgomp, so here the kernel must find it.
     */
    @Test
    void threadsGiveTheSameBits() {
        assumeTrue(Bf16Gemv.isAvailable(), Bf16Gemv::unavailableReason);
        assertTrue(Bf16Gemv.isParallel(), "the kernel did not bind to LibTorch's libgomp");
        NDArray w = bf16(manager.randomNormal(new Shape(1000, 1024)));
        NDArray x = bf16(manager.randomNormal(new Shape(1024)));
        Bf16Gemv.Weight pw = Bf16Gemv.prepare(w);
        int before = Torch.numThreads();
        try {
            Torch.setNumThreads(1);
            float[] one = floats(Bf16Gemv.linear(x, pw));
            Torch.setNumThreads(3);
            float[] three = floats(Bf16Gemv.linear(x, pw));
            float[] threeAgain = floats(Bf16Gemv.linear(x, pw));
            assertArrayEquals(one, three);
            assertArrayEquals(one, threeAgain);
            assertEquals(1000, one.length);
        } finally {
            Torch.setNumThreads(before);
        }
    }

    @Test
    void linearLayerUsesItForOneBfloat16Row() {
        assumeTrue(Bf16Gemv.isAvailable(), Bf16Gemv::unavailableReason);
        NDArray w = bf16(manager.randomNormal(new Shape(64, 256)));
        NDArray x = bf16(manager.randomNormal(new Shape(1, 1, 256)));
        float[] kernel = floats(Bf16Gemv.linear(x, Bf16Gemv.prepare(w)));
        assertArrayEquals(kernel, floats(new Linear(w, null).forward(x)));
        assertArrayEquals(kernel, floats(Linear.linear(x, w, null)));
        // several rows still go to LibTorch, within bfloat16 rounding of the same sums
        NDArray rows = bf16(manager.randomNormal(new Shape(1, 3, 256)));
        assertEquals(new Shape(1, 3, 64), new Linear(w, null).forward(rows).getShape());
    }

    @Test
    void refusesWhatItCannotTake() {
        assumeTrue(Bf16Gemv.isAvailable(), Bf16Gemv::unavailableReason);
        NDArray w = bf16(manager.randomNormal(new Shape(16, 64)));
        Bf16Gemv.Weight pw = Bf16Gemv.prepare(w);
        assertNotNull(pw);
        // weights: float32, transposed (not contiguous), 1-D
        assertNull(Bf16Gemv.prepare(manager.randomNormal(new Shape(16, 64))));
        assertNull(Bf16Gemv.prepare(w.transpose()));
        assertNull(Bf16Gemv.prepare(bf16(manager.randomNormal(new Shape(64)))));
        // inputs: float32, two rows, wrong width, strided
        assertNull(Bf16Gemv.linear(manager.randomNormal(new Shape(1, 64)), pw));
        assertNull(Bf16Gemv.linear(bf16(manager.randomNormal(new Shape(2, 64))), pw));
        assertNull(Bf16Gemv.linear(bf16(manager.randomNormal(new Shape(1, 32))), pw));
        NDArray strided = bf16(manager.randomNormal(new Shape(128))).get(new NDIndex("::2"));
        assertEquals(new Shape(64), strided.getShape());
        assertNull(Bf16Gemv.linear(strided, pw));
        // a closed weight is refused, not read
        w.close();
        assertNull(Bf16Gemv.linear(bf16(manager.randomNormal(new Shape(64))), pw));
    }

    private static NDArray bf16(NDArray x) {
        return cast(x, DType.BF16);
    }

    /**
     * The products of the bfloat16 values summed in double and rounded to bfloat16 (via float32), and per row the
     * sum of the products' magnitudes (what bounds a float32 sum's order-dependent error).
     */
    private static float[][] reference(NDArray x, NDArray w) {
        float[] xv = floats(x);
        float[] wv = floats(w);
        int in = xv.length;
        float[][] out = new float[2][wv.length / in];
        for (int o = 0; o < out[0].length; o++) {
            double s = 0;
            double a = 0;
            for (int i = 0; i < in; i++) {
                double p = (double) wv[o * in + i] * xv[i];
                s += p;
                a += Math.abs(p);
            }
            out[0][o] = roundToBf16((float) s);
            out[1][o] = (float) a;
        }
        return out;
    }

    private static float roundToBf16(float f) {
        int u = Float.floatToRawIntBits(f);
        u += 0x7fff + ((u >>> 16) & 1);
        return Float.intBitsToFloat(u & 0xffff0000);
    }

    /** One bfloat16 unit in the last place at v's magnitude (8 significant bits). */
    private static float bf16Ulp(float v) {
        return Math.max(Math.ulp(v) * 65536f, Float.MIN_NORMAL);
    }
}
