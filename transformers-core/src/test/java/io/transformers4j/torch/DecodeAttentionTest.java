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
import io.transformers4j.nn.SdpaAttention;
import io.transformers4j.weights.DType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The native decode attention against LibTorch's scaled_dot_product_attention on the same arguments. */
class DecodeAttentionTest extends ManagedArraysTest {

    @BeforeEach
    void kernelsHere() {
        assumeTrue(Bf16Gemv.isAvailable(), Bf16Gemv::unavailableReason);
    }

    @Test
    void float32MatchesLibTorch() {
        for (int rows : new int[] {1, 4}) {
            for (int dim : new int[] {64, 128}) {
                for (int keys : new int[] {1, 17, 640}) {
                    NDArray q = manager.randomNormal(new Shape(2, 3, rows, dim));
                    NDArray k = manager.randomNormal(new Shape(2, 3, keys, dim));
                    NDArray v = manager.randomNormal(new Shape(2, 3, keys, dim));
                    NDArray got = DecodeAttention.attention(q, k, v, null);
                    assertNotNull(got);
                    assertEquals(new Shape(2, 3, rows, dim), got.getShape());
                    assertClose(sdpa(q, k, v, null), got, 2e-6f, 0f, "rows=" + rows + " dim=" + dim + " keys=" + keys);
                }
            }
        }
    }

    /** A per-row padding mask (left padding: -inf on the first keys of row 1) and a static cache's written prefix. */
    @Test
    void maskAndCacheViews() {
        for (DType dtype : new DType[] {DType.F32, DType.BF16}) {
            NDArray buffer = cast(manager.randomNormal(new Shape(2, 4, 64, 128)), dtype); // (B, kvh, max_len, hd)
            NDArray vbuffer = cast(manager.randomNormal(new Shape(2, 4, 64, 128)), dtype);
            NDArray k = buffer.get(new NDIndex(":, :, :40"));
            NDArray v = vbuffer.get(new NDIndex(":, :, :40"));
            NDArray q = cast(manager.randomNormal(new Shape(2, 4, 4, 128)), dtype);
            float[] m = new float[2 * 40];
            for (int j = 0; j < 5; j++) {
                m[40 + j] = Float.NEGATIVE_INFINITY;
            }
            NDArray mask = cast(manager.create(m, new Shape(2, 1, 1, 40)), dtype);
            NDArray got = DecodeAttention.attention(q, k, v, mask);
            assertNotNull(got, dtype.toString());
            assertEquals(dtype, TorchOps.dtypeOf(got));
            if (dtype == DType.F32) {
                assertClose(sdpa(q, k, v, mask), got, 2e-6f, 0f, "f32 masked");
            } else {
                // both round the exponentials to bfloat16 and the result once; summation order and exp differ
                assertClose(sdpa(q, k, v, mask), got, 0f, 2.5e-2f, "bf16 masked");
            }
            // a broadcast mask (1, 1, 1, keys) equals no mask when it is all zeros
            NDArray zeros = cast(manager.zeros(new Shape(1, 1, 1, 40)), dtype);
            assertArrayEquals(floats(DecodeAttention.attention(q, k, v, null)),
                    floats(DecodeAttention.attention(q, k, v, zeros)));
        }
    }

    /** Heads are split over LibTorch's threads; each head is one thread's work, so the bits do not change. */
    @Test
    void threadsGiveTheSameBits() {
        NDArray q = cast(manager.randomNormal(new Shape(1, 8, 4, 128)), DType.BF16);
        NDArray k = cast(manager.randomNormal(new Shape(1, 8, 300, 128)), DType.BF16);
        NDArray v = cast(manager.randomNormal(new Shape(1, 8, 300, 128)), DType.BF16);
        int before = Torch.numThreads();
        try {
            Torch.setNumThreads(1);
            float[] one = floats(DecodeAttention.attention(q, k, v, null));
            Torch.setNumThreads(2);
            assertArrayEquals(one, floats(DecodeAttention.attention(q, k, v, null)));
        } finally {
            Torch.setNumThreads(before);
        }
    }

    /** SdpaAttention's one-token path (grouped-query heads) uses the kernel and still equals LibTorch's answer. */
    @Test
    void sdpaAttentionOneTokenGroupedQuery() {
        NDArray q = manager.randomNormal(new Shape(1, 16, 1, 64));
        NDArray k = manager.randomNormal(new Shape(1, 4, 33, 64));
        NDArray v = manager.randomNormal(new Shape(1, 4, 33, 64));
        NDArray got = SdpaAttention.attention(q, k, v, null);
        NDArray ref = TorchOps.scaledDotProductAttention(q, k.repeat(1, 4).reshape(1, 16, 33, 64),
                v.repeat(1, 4).reshape(1, 16, 33, 64), null, false, null);
        assertClose(ref, got, 2e-6f, 0f, "grouped");
    }

    @Test
    void declinesWhatItDoesNotTake() {
        NDArray k = manager.randomNormal(new Shape(1, 2, 8, 64));
        NDArray v = manager.randomNormal(new Shape(1, 2, 8, 64));
        // float16, a head size not a multiple of 16, too many rows, mismatched key/value
        assertNull(DecodeAttention.attention(cast(manager.randomNormal(new Shape(1, 2, 1, 64)), DType.F16),
                cast(k, DType.F16), cast(v, DType.F16), null));
        assertNull(DecodeAttention.attention(manager.randomNormal(new Shape(1, 2, 1, 40)),
                manager.randomNormal(new Shape(1, 2, 8, 40)), manager.randomNormal(new Shape(1, 2, 8, 40)), null));
        assertNull(DecodeAttention.attention(manager.randomNormal(new Shape(1, 2, 17, 64)), k, v, null));
        assertNull(DecodeAttention.attention(manager.randomNormal(new Shape(1, 2, 1, 64)), k,
                manager.randomNormal(new Shape(1, 2, 9, 64)), null));
        // a row whose every key is masked: LibTorch decides what that gives
        NDArray allMasked = manager.full(new Shape(1, 1, 1, 8), Float.NEGATIVE_INFINITY);
        assertNull(DecodeAttention.attention(manager.randomNormal(new Shape(1, 2, 1, 64)), k, v, allMasked));
        // a mask with a per-head axis is not the decoding layout
        assertNull(DecodeAttention.attention(manager.randomNormal(new Shape(1, 2, 1, 64)), k, v,
                manager.zeros(new Shape(1, 2, 1, 8))));
    }

    private static NDArray sdpa(NDArray q, NDArray k, NDArray v, NDArray mask) {
        return TorchOps.scaledDotProductAttention(q, k, v, mask, false, null);
    }

    /** |expected - got| <= rtol * |expected| + atol, element by element (relative for float32's rounding). */
    private static void assertClose(NDArray expected, NDArray got, float rtol, float atol, String what) {
        float[] e = floats(expected);
        float[] g = floats(got);
        assertEquals(e.length, g.length, what);
        for (int i = 0; i < e.length; i++) {
            float tol = rtol * Math.max(1f, Math.abs(e[i])) * 8 + atol;
            assertTrue(Math.abs(e[i] - g[i]) <= tol, what + " [" + i + "]: " + g[i] + " vs " + e[i]);
        }
    }
}
