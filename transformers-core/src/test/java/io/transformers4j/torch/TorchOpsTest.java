package io.transformers4j.torch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Memory;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.transformers4j.weights.DType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchOpsTest {

    private NDManager manager;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    // -------------------------------------------------------------------------------------------------------------

    @Test
    void bridgeSelfTestPassesAndNamesTheBuild() {
        String d = Torch.ensureBridgeReady();
        assertTrue(d.contains("2.7.1"), d);
        assertEquals("2.7.1", LibTorchBridge.BUILT_FOR);
    }

    @Test
    void aMismatchedLibTorchIsNamedInTheError() {
        Torch.ensureBridgeReady();
        Path lib = Path.of(LibUtils.getLibtorchPath()).resolve(System.mapLibraryName("torch_cpu"));
        NativeLibrary nl = NativeLibrary.getInstance(lib.toString());
        LibTorchException ex = assertThrows(LibTorchException.class, () -> LibTorchBridge.requireSymbols(nl,
                List.of("aoti_torch_call_dispatcher", "aoti_torch_no_such_function"), lib, "9.9.9"));
        assertTrue(ex.getMessage().contains("does not export [aoti_torch_no_such_function]")
                && ex.getMessage().contains("built for LibTorch 2.7.1") && ex.getMessage().contains("9.9.9"),
                ex.getMessage());
        long abi280 = (2L << 56) | (8L << 48);
        ex = assertThrows(LibTorchException.class, () -> LibTorchBridge.requireAbi(abi280, lib, "2.8.0"));
        assertTrue(ex.getMessage().contains("built for LibTorch 2.7.1") && ex.getMessage().contains("is LibTorch 2.8.0"),
                ex.getMessage());
        LibTorchBridge.requireAbi((2L << 56) | (7L << 48) | (1L << 40), lib, "2.7.1");
    }

    @Test
    void bridgeReadsContiguityInPlaceAsFromItsSizesAndStrides() {
        Torch.ensureBridgeReady();
        LibTorchBridge b = LibTorchBridge.get();
        NDArray x = manager.arange(0, 24, 1, DataType.FLOAT32).reshape(2, 3, 4);
        NDArray[] cases = {x, x.transpose(0, 2, 1), x.get(new NDIndex(":, 1:, :")), x.get(new NDIndex(":, :, 1")),
            x.get(new NDIndex("1:, :, :")), x.get(new NDIndex(":, 1:2, :")), x.get(new NDIndex("0, 0, 0")),
            manager.zeros(new Shape(0, 3)), x.expandDims(1).transpose(1, 0, 2, 3)};
        boolean[] contiguous = {true, false, false, false, true, false, true, true, true};
        for (int i = 0; i < cases.length; i++) {
            long h = ((ai.djl.pytorch.engine.PtNDArray) cases[i]).getHandle();
            assertEquals(contiguous[i], b.isContiguous(h), "case " + i + " " + Arrays.toString(b.sizes(h)) + " / "
                    + Arrays.toString(b.strides(h)));
            assertEquals(rowMajor(b.sizes(h), b.strides(h)), b.isContiguous(h), "case " + i);
            assertEquals(Arrays.stream(b.sizes(h)).reduce(1, (p, q) -> p * q), b.numel(h), "case " + i);
        }
    }

    /** The rule on arrays read out of the tensor: row-major strides, size-1 axes ignored. */
    private static boolean rowMajor(long[] sizes, long[] strides) {
        long expected = 1;
        for (int i = sizes.length - 1; i >= 0; i--) {
            if (sizes[i] != 1 && strides[i] != expected) {
                return false;
            }
            expected *= sizes[i];
        }
        return true;
    }

    @Test
    void bridgeMetadataReadsMakeNoGarbage() {
        // The fused decoding step checks every operand on every layer of every token: these readers run ~30 times per
        // layer and step, and a long[1] out-parameter per call was ~1 KB of garbage per layer (HotSpot counts bytes).
        assumeTrue(java.lang.management.ManagementFactory.getThreadMXBean()
                instanceof com.sun.management.ThreadMXBean, "no per-thread allocation counter");
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory
                .getThreadMXBean();
        Torch.ensureBridgeReady();
        LibTorchBridge b = LibTorchBridge.get();
        long h = ((ai.djl.pytorch.engine.PtNDArray) manager.zeros(new Shape(1, 4, 8, 16))).getHandle();
        long sink = 0;
        for (int round = 0; round < 2; round++) { // the first round warms up (thread-locals, JIT)
            long before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10_000; i++) {
                sink += b.numel(h) + b.dataPtr(h) + b.dtype(h).ordinal() + (b.isCpu(h) ? 1 : 0);
            }
            long scalars = mx.getCurrentThreadAllocatedBytes() - before;
            before = mx.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 10_000; i++) {
                sink += b.isContiguous(h) ? 1 : 0;
            }
            long contiguity = mx.getCurrentThreadAllocatedBytes() - before;
            if (round == 1) {
                assertTrue(scalars < 10_000, "numel/dataPtr/dtype/isCpu allocated " + scalars + " bytes in 10000 calls");
                // two JNA Pointer views per call at most
                assertTrue(contiguity <= 10_000 * 64L, "isContiguous allocated " + contiguity + " bytes in 10000 calls");
            }
        }
        assertNotEquals(0, sink);
    }

    @Test
    void sdpaMatchesSoftmaxOfScaledScoresTimesValue() {
        Random r = new Random(1);
        int b = 2, h = 3, l = 5, s = 6, e = 4;
        float[] q = randn(r, b * h * l * e);
        float[] k = randn(r, b * h * s * e);
        float[] v = randn(r, b * h * s * e);
        float[] mask = randn(r, l * s); // additive, broadcast over batch and heads
        boolean[] bmask = new boolean[b * h * l * s];
        for (int i = 0; i < bmask.length; i++) {
            bmask[i] = r.nextInt(3) != 0 || i % s == 0; // every row keeps at least one key
        }
        NDArray qa = manager.create(q, new Shape(b, h, l, e));
        NDArray ka = manager.create(k, new Shape(b, h, s, e));
        NDArray va = manager.create(v, new Shape(b, h, s, e));
        NDArray ma = manager.create(mask, new Shape(1, 1, l, s));
        NDArray bma = manager.create(bmask, new Shape(b, h, l, s));
        double scale = 1 / Math.sqrt(e);

        assertClose(attention(q, k, v, b * h, l, s, e, scale, null, null, false),
                TorchOps.scaledDotProductAttention(qa, ka, va, null, false, null), 1e-5, 1e-5, "sdpa, no mask");
        assertClose(attention(q, k, v, b * h, l, s, e, 0.7, mask, null, false),
                TorchOps.scaledDotProductAttention(qa, ka, va, ma, false, 0.7), 1e-5, 1e-5, "sdpa, float mask, 0.7");
        assertClose(attention(q, k, v, b * h, l, s, e, scale, null, bmask, false),
                TorchOps.scaledDotProductAttention(qa, ka, va, bma, false, null), 1e-5, 1e-5, "sdpa, bool mask");

        NDArray ks = ka.get(":, :, :5, :");
        NDArray vs = va.get(":, :, :5, :");
        float[] k5 = ks.toFloatArray();
        float[] v5 = vs.toFloatArray();
        NDArray causal = TorchOps.scaledDotProductAttention(qa, ks, vs, null, true, null);
        assertClose(attention(q, k5, v5, b * h, l, l, e, scale, null, null, true), causal, 1e-5, 1e-5,
                "sdpa, causal");
        assertSame(qa.getManager(), causal.getManager());
        assertEquals(new Shape(b, h, l, e), causal.getShape());
    }

    @Test
    void sdpaRejectsBadArgumentsWithTheirNames() {
        NDArray q = manager.zeros(new Shape(1, 1, 2, 4));
        NDArray k = manager.zeros(new Shape(1, 1, 2, 3));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> TorchOps.scaledDotProductAttention(q, k, k, null, false, null));
        assertTrue(ex.getMessage().contains("query (1, 1, 2, 4) F32"), ex.getMessage());
        NDArray m = manager.zeros(new Shape(2, 2));
        ex = assertThrows(IllegalArgumentException.class,
                () -> TorchOps.scaledDotProductAttention(q, q, q, m, true, null));
        assertTrue(ex.getMessage().contains("isCausal"), ex.getMessage());
    }

    @Test
    void mkldnnLinearMatchesLinearInBfloat16() {
        assumeTrue(TorchOps.hasMkldnnLinear(), "no oneDNN bfloat16 on this CPU/LibTorch");
        Random r = new Random(5);
        double[] wd = new double[96 * 80];
        double[] xd = new double[3 * 80];
        for (int i = 0; i < wd.length; i++) {
            wd[i] = r.nextGaussian();
        }
        for (int i = 0; i < xd.length; i++) {
            xd[i] = r.nextGaussian();
        }
        NDArray w = TorchOps.toDType(manager.create(toFloats(wd), new Shape(96, 80)), DType.BF16);
        for (Shape xs : List.of(new Shape(1, 1, 80), new Shape(1, 3, 80), new Shape(80))) {
            NDArray x = TorchOps.toDType(manager.create(Arrays.copyOf(toFloats(xd), (int) xs.size()), xs), DType.BF16);
            NDArray got = TorchOps.mkldnnLinear(x, w, null);
            assertEquals(DType.BF16, TorchOps.dtypeOf(got));
            NDArray ref = ai.djl.nn.core.Linear.linear(x, w).singletonOrThrow();
            assertEquals(ref.getShape(), got.getShape());
            // The same oneDNN matmul; where the two split the reduction differently they may differ by one bfloat16
            // ulp (2^-7 relative).
            float[] e = TorchOps.toDType(ref, DType.F32).toFloatArray();
            double[] expected = new double[e.length];
            for (int i = 0; i < e.length; i++) {
                expected[i] = e[i];
            }
            assertClose(expected, TorchOps.toDType(got, DType.F32), 1e-2, 1.0 / 128, "mkldnnLinear " + xs);
        }
        NDArray f32 = manager.ones(new Shape(2, 80));
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> TorchOps.mkldnnLinear(f32, w, null));
        assertTrue(ex.getMessage().contains("share one floating-point dtype"), ex.getMessage());
        ex = assertThrows(IllegalArgumentException.class, () -> TorchOps.mkldnnLinear(
                TorchOps.toDType(manager.ones(new Shape(2, 81)), DType.BF16), w, null));
        assertTrue(ex.getMessage().contains("in_features"), ex.getMessage());
    }

    private static float[] toFloats(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    @Test
    void siluAndRsqrtMatchTheirDefinitions() {
        float[] x = randn(new Random(2), 200);
        x[0] = 0;
        x[1] = -30;
        x[2] = 30;
        NDArray a = manager.create(x, new Shape(4, 50));
        NDArray expected = a.mul(Activation.sigmoid(a));
        assertClose(toDoubles(expected.toFloatArray()), TorchOps.silu(a), 1e-6, 1e-6, "silu");

        float[] pos = new float[x.length];
        double[] inv = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            pos[i] = Math.abs(x[i]) + 0.01f;
            inv[i] = 1 / Math.sqrt(pos[i]);
        }
        assertClose(inv, TorchOps.rsqrt(manager.create(pos)), 0, 1e-6, "rsqrt");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> TorchOps.silu(manager.create(new int[] {1, 2})));
        assertTrue(ex.getMessage().contains("floating point"), ex.getMessage());
    }

    @Test
    void trilAndTriuAreExact() {
        int b = 2, rows = 3, cols = 4;
        float[] x = new float[b * rows * cols];
        for (int i = 0; i < x.length; i++) {
            x[i] = i + 1;
        }
        NDArray a = manager.create(x, new Shape(b, rows, cols));
        for (long diag : new long[] {-1, 0, 2}) {
            float[] lower = new float[x.length];
            float[] upper = new float[x.length];
            for (int n = 0; n < b; n++) {
                for (int i = 0; i < rows; i++) {
                    for (int j = 0; j < cols; j++) {
                        int idx = (n * rows + i) * cols + j;
                        lower[idx] = j - i <= diag ? x[idx] : 0;
                        upper[idx] = j - i >= diag ? x[idx] : 0;
                    }
                }
            }
            assertArrayEquals(lower, TorchOps.tril(a, diag).toFloatArray(), "tril diagonal " + diag);
            assertArrayEquals(upper, TorchOps.triu(a, diag).toFloatArray(), "triu diagonal " + diag);
        }
        // A causal mask the way models build one: triu of ones above the diagonal, as bool.
        NDArray ones = manager.ones(new Shape(3, 3), DataType.BOOLEAN);
        assertArrayEquals(new boolean[] {false, true, true, false, false, true, false, false, false},
                TorchOps.triu(ones, 1).toBooleanArray());
    }

    @Test
    void maskedFillWritesValueWhereMaskIsTrue() {
        NDArray x = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
        NDArray mask = manager.create(new boolean[] {true, false, true}, new Shape(1, 3)); // broadcast over rows
        NDArray out = TorchOps.maskedFill(x, mask, Float.NEGATIVE_INFINITY);
        float ninf = Float.NEGATIVE_INFINITY;
        assertArrayEquals(new float[] {ninf, 2, ninf, ninf, 5, ninf}, out.toFloatArray());
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, x.toFloatArray(), "x itself is untouched");
        assertThrows(IllegalArgumentException.class, () -> TorchOps.maskedFill(x, x, 0));
    }

    @Test
    void groupNormMatchesManualComputation() {
        Random r = new Random(3);
        int n = 2, c = 6, len = 5, groups = 3;
        float[] x = randn(r, n * c * len);
        float[] w = randn(r, c);
        float[] bias = randn(r, c);
        double eps = 1e-5;
        NDArray xa = manager.create(x, new Shape(n, c, len));
        NDArray out = TorchOps.groupNorm(xa, groups, manager.create(w), manager.create(bias), eps);
        assertClose(groupNorm(x, n, c, len, groups, w, bias, eps), out, 1e-5, 1e-5, "group_norm");
        NDArray plain = TorchOps.groupNorm(xa, groups, null, null, eps);
        assertClose(groupNorm(x, n, c, len, groups, null, null, eps), plain, 1e-5, 1e-5, "group_norm, no affine");
        assertThrows(IllegalArgumentException.class, () -> TorchOps.groupNorm(xa, 4, null, null, eps));
    }

    @Test
    void convTranspose1dHandExample() {
        // x = [1, 2, 3], w = [1, 10], stride 2: each input scatters its two taps two steps apart.
        NDArray x = manager.create(new float[] {1, 2, 3}, new Shape(1, 1, 3));
        NDArray w = manager.create(new float[] {1, 10}, new Shape(1, 1, 2));
        NDArray out = TorchOps.convTranspose1d(x, w, manager.create(new float[] {0.5f}), 2, 0, 0, 1, 1);
        assertArrayEquals(new float[] {1.5f, 10.5f, 2.5f, 20.5f, 3.5f, 30.5f}, out.toFloatArray());
        // stride 1 overlaps the taps: [1, 10+2, 20+3, 30]; padding 1 trims one from each end.
        out = TorchOps.convTranspose1d(x, w, null, 1, 1, 0, 1, 1);
        assertArrayEquals(new float[] {12, 23}, out.toFloatArray());
        // outputPadding adds one zero at the end; dilation 2 spreads the taps.
        out = TorchOps.convTranspose1d(x, w, null, 2, 0, 1, 1, 2);
        assertArrayEquals(new float[] {1, 0, 12, 0, 23, 0, 30, 0}, out.toFloatArray());
    }

    @Test
    void convTransposeMatchesScatterReference() {
        Random r = new Random(4);
        int n = 2, cin = 4, cout = 6, groups = 2, h = 3, wd = 5, kh = 3, kw = 2;
        float[] x = randn(r, n * cin * h * wd);
        float[] w = randn(r, cin * (cout / groups) * kh * kw);
        float[] bias = randn(r, cout);
        long[] stride = {2, 3};
        long[] pad = {1, 0};
        long[] outPad = {1, 2};
        long[] dil = {1, 2};
        NDArray out = TorchOps.convTranspose2d(manager.create(x, new Shape(n, cin, h, wd)),
                manager.create(w, new Shape(cin, cout / groups, kh, kw)), manager.create(bias), stride, pad, outPad,
                groups, dil);
        int oh = (h - 1) * 2 - 2 * 1 + 1 * (kh - 1) + 1 + 1;
        int ow = (wd - 1) * 3 - 0 + 2 * (kw - 1) + 2 + 1;
        assertEquals(new Shape(n, cout, oh, ow), out.getShape());
        double[] ref = new double[n * cout * oh * ow];
        int coutG = cout / groups;
        int cinG = cin / groups;
        for (int b = 0; b < n; b++) {
            for (int co = 0; co < cout; co++) {
                for (int i = 0; i < oh * ow; i++) {
                    ref[(b * cout + co) * oh * ow + i] = bias[co];
                }
            }
            for (int ci = 0; ci < cin; ci++) {
                int g = ci / cinG;
                for (int col = 0; col < coutG; col++) {
                    int co = g * coutG + col;
                    for (int y = 0; y < h; y++) {
                        for (int xx = 0; xx < wd; xx++) {
                            for (int a = 0; a < kh; a++) {
                                for (int c = 0; c < kw; c++) {
                                    int oy = (int) (y * stride[0] - pad[0] + a * dil[0]);
                                    int ox = (int) (xx * stride[1] - pad[1] + c * dil[1]);
                                    if (oy >= 0 && oy < oh && ox >= 0 && ox < ow) {
                                        ref[((b * cout + co) * oh + oy) * ow + ox] +=
                                                x[((b * cin + ci) * h + y) * wd + xx]
                                                        * w[((ci * coutG + col) * kh + a) * kw + c];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assertClose(ref, out, 1e-5, 1e-5, "conv_transpose2d");
        assertThrows(IllegalArgumentException.class, () -> TorchOps.convTranspose2d(
                manager.create(x, new Shape(n, cin, h, wd)), manager.create(w, new Shape(cin, cout / groups, kh, kw)),
                null, stride, pad, new long[] {2, 2}, groups, dil));
    }

    @Test
    void bfloat16RoundTripIsRoundToNearestEven() {
        Random r = new Random(5);
        float[] x = new float[1000];
        for (int i = 0; i < x.length; i++) {
            x[i] = Float.intBitsToFloat(r.nextInt());
            if (Float.isNaN(x[i])) {
                x[i] = (float) r.nextGaussian();
            }
        }
        // Exact ties: round to the even neighbour (down here, up for the second), plus values that carry.
        x[0] = Float.intBitsToFloat(0x3F808000);
        x[1] = Float.intBitsToFloat(0x3F818000);
        x[2] = Float.intBitsToFloat(0x3F7FFFFF);
        x[3] = Float.MAX_VALUE;
        x[4] = Float.NEGATIVE_INFINITY;
        x[5] = -0f;
        x[6] = Float.MIN_VALUE;
        NDArray a = manager.create(x);
        NDArray bf = TorchOps.toDType(a, DType.BF16);
        assertEquals(DType.BF16, TorchOps.dtypeOf(bf));
        float[] back = TorchOps.toDType(bf, DType.F32).toFloatArray();
        ByteBuffer raw = TorchOps.toByteBuffer(bf);
        assertEquals(2 * x.length, raw.remaining());
        assertEquals(ByteOrder.LITTLE_ENDIAN, raw.order());
        for (int i = 0; i < x.length; i++) {
            int expected = bf16Bits(x[i]);
            assertEquals(expected, raw.getShort(2 * i) & 0xFFFF,
                    "bf16 bits of " + x[i] + " (0x" + Integer.toHexString(Float.floatToRawIntBits(x[i])) + ")");
            assertEquals(Float.intBitsToFloat(expected << 16), back[i], 0f, "f32 -> bf16 -> f32 of " + x[i]);
        }
        // Raw bf16 bytes in, f32 out: the writer's path back.
        NDArray fromRaw = TorchOps.fromBlob(raw, new long[] {x.length}, DType.BF16, manager);
        assertArrayEquals(back, TorchOps.toDType(fromRaw, DType.F32).toFloatArray());
    }

    @Test
    void everyDTypeConvertsBothWays() {
        float[] x = {-3, -1, 0, 1, 2, 100};
        NDArray a = manager.create(x);
        for (DType d : DType.values()) {
            NDArray c = TorchOps.toDType(a, d);
            assertEquals(d, TorchOps.dtypeOf(c), "dtypeOf after cast to " + d);
            float[] expected = x.clone();
            for (int i = 0; i < x.length; i++) {
                if (d == DType.BOOL) {
                    expected[i] = x[i] != 0 ? 1 : 0;
                } else if (d == DType.U8 && x[i] < 0) {
                    expected[i] = x[i] + 256; // wraps, as in torch
                }
            }
            assertArrayEquals(expected, TorchOps.toDType(c, DType.F32).toFloatArray(), "F32 -> " + d + " -> F32");
            assertEquals(x.length * d.byteSize(), TorchOps.toByteBuffer(c).remaining(), "toByteBuffer of " + d);
        }
        NDArray i16 = TorchOps.toDType(a, DType.I16);
        ByteBuffer raw = TorchOps.toByteBuffer(i16);
        for (int i = 0; i < x.length; i++) {
            assertEquals((short) x[i], raw.getShort(2 * i), "int16 bytes");
        }
        assertEquals(DType.F32, TorchOps.dtypeOf(a));
        assertEquals(DType.I64, TorchOps.dtypeOf(manager.create(new long[] {1})));
    }

    @Test
    void toByteBufferMakesNonContiguousArraysContiguous() {
        NDArray a = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
        NDArray t = TorchOps.toDType(a, DType.BF16).transpose(); // a view with strides (1, 3)
        NDArray back = TorchOps.fromBlob(TorchOps.toByteBuffer(t), new long[] {3, 2}, DType.BF16, manager);
        assertArrayEquals(new float[] {1, 4, 2, 5, 3, 6}, TorchOps.toDType(back, DType.F32).toFloatArray());
    }

    @Test
    void fromBlobIsZeroCopy() {
        ByteBuffer buf = ByteBuffer.allocateDirect(4 * 8 + 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 10; i++) {
            buf.putFloat(4 * i, i);
        }
        buf.position(8); // the tensor starts at the buffer's position
        NDArray t = TorchOps.fromBlob(buf, new long[] {2, 4}, DType.F32, manager);
        assertSame(manager, t.getManager());
        assertArrayEquals(new float[] {2, 3, 4, 5, 6, 7, 8, 9}, t.toFloatArray());
        buf.putFloat(8 + 4 * 5, 42f);
        assertEquals(42f, t.toFloatArray()[5], "a write to the buffer shows in the tensor");
        t.set(new NDIndex(":"), 0); // an in-place write through DJL lands in the buffer
        assertEquals(0f, buf.getFloat(8), 0f);

        ByteBuffer small = ByteBuffer.allocateDirect(12);
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class,
                () -> TorchOps.fromBlob(small, new long[] {2, 2}, DType.F32, manager));
        assertTrue(ex.getMessage().contains("16 bytes"), ex.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> TorchOps.fromBlob(ByteBuffer.allocate(16), new long[] {4}, DType.F32, manager));
    }

    @Test
    void fromAddressKeepsItsOwnerAndSharesMemory() {
        Memory mem = new Memory(6 * 2);
        for (int i = 0; i < 6; i++) {
            mem.setShort(2L * i, (short) (i - 2));
        }
        NDArray t = TorchOps.fromAddress(Pointer.nativeValue(mem), new long[] {3, 2}, DType.I16, manager, mem);
        assertEquals(DType.I16, TorchOps.dtypeOf(t));
        assertArrayEquals(new long[] {-2, -1, 0, 1, 2, 3}, TorchOps.toDType(t, DType.I64).toLongArray());
        mem.setShort(0, (short) 77);
        assertEquals(77L, TorchOps.toDType(t, DType.I64).toLongArray()[0]);
    }

    @Test
    void fromBlobOverAMemoryMappedFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("w.bin");
        ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        data.putShort((short) 0x3F80).putShort((short) 0xC000).putShort((short) 0x4040).putShort((short) 0x3F00);
        Files.write(f, data.array());
        try (FileChannel ch = FileChannel.open(f)) {
            ByteBuffer map = ch.map(FileChannel.MapMode.READ_ONLY, 0, 8);
            NDArray t = TorchOps.fromBlob(map, new long[] {2, 2}, DType.BF16, manager);
            assertArrayEquals(new float[] {1, -2, 3, 0.5f}, TorchOps.toDType(t, DType.F32).toFloatArray());
            assertEquals(new Shape(2, 2), t.getShape());
        }
    }

    @Test
    void multinomialIsSeededAndDrawsOnlyWherePositive() {
        float[] p = {0.1f, 0, 0.5f, 0, 0.4f, 0, 0, 1, 0, 0};
        NDArray probs = manager.create(p, new Shape(2, 5));
        TorchOps.manualSeed(1234);
        long[] first = TorchOps.multinomial(probs, 500, true).toLongArray();
        TorchOps.manualSeed(1234);
        long[] again = TorchOps.multinomial(probs, 500, true).toLongArray();
        assertArrayEquals(first, again, "same seed, same draws");
        long[] other = TorchOps.multinomial(probs, 500, true).toLongArray();
        assertFalse(Arrays.equals(first, other), "the generator advances");
        Set<Long> seenRow0 = new HashSet<>();
        for (int i = 0; i < first.length; i++) {
            int row = i / 500;
            assertTrue(p[row * 5 + (int) first[i]] > 0, "drew category " + first[i] + " of zero probability in row "
                    + row);
            if (row == 0) {
                seenRow0.add(first[i]);
            }
        }
        assertEquals(Set.of(0L, 2L, 4L), seenRow0, "all positive categories of row 0 show up in 500 draws");
        long[] distinct = TorchOps.multinomial(manager.create(new float[] {1, 1, 0, 1}), 3, false).toLongArray();
        Arrays.sort(distinct);
        assertArrayEquals(new long[] {0, 1, 3}, distinct, "without replacement");
        assertThrows(IllegalArgumentException.class,
                () -> TorchOps.multinomial(manager.create(new float[] {1, 1}), 3, false));
    }

    @Test
    void aLibTorchFailureIsAnExceptionNotACrash() {
        // All-zero probabilities pass our checks but LibTorch refuses them: rc=1 becomes LibTorchException.
        LibTorchException ex = assertThrows(LibTorchException.class,
                () -> TorchOps.multinomial(manager.zeros(new Shape(3)), 1, true));
        assertTrue(ex.getMessage().contains("aten::multinomial") && ex.getMessage().contains("probs (3) F32"),
                ex.getMessage());
        // The bridge still works afterwards.
        assertArrayEquals(new float[] {0, 0}, TorchOps.silu(manager.zeros(new Shape(2))).toFloatArray());
    }

    @Test
    void opsRunOnASecondThreadWithGradModeOffAndThreadsSet() throws InterruptedException {
        Random r = new Random(6);
        float[] q = randn(r, 2 * 4 * 8);
        NDArray qa = manager.create(q, new Shape(2, 1, 8, 4));
        float[] onMain = TorchOps.scaledDotProductAttention(qa, qa, qa, null, true, null).toFloatArray();
        float[] siluMain = TorchOps.silu(qa).toFloatArray();
        AtomicReference<Throwable> error = new AtomicReference<>();
        AtomicReference<float[]> onWorker = new AtomicReference<>();
        AtomicReference<float[]> siluWorker = new AtomicReference<>();
        boolean[] gradBefore = new boolean[1];
        boolean[] gradAfter = new boolean[1];
        int[] threads = new int[1];
        Thread t = new Thread(() -> {
            try {
                gradBefore[0] = JniUtils.isGradMode(); // LibTorch's per-thread default
                try (NDManager m = NDManager.newBaseManager()) {
                    NDArray qw = m.create(q, new Shape(2, 1, 8, 4));
                    onWorker.set(TorchOps.scaledDotProductAttention(qw, qw, qw, null, true, null).toFloatArray());
                    siluWorker.set(TorchOps.silu(qw).toFloatArray());
                }
                gradAfter[0] = JniUtils.isGradMode();
                threads[0] = JniUtils.getNumThreads();
            } catch (Throwable e) {
                error.set(e);
            }
        });
        t.start();
        t.join();
        if (error.get() != null) {
            fail("bridge ops failed on a second thread", error.get());
        }
        assertTrue(gradBefore[0], "a new LibTorch thread starts with grad mode on (else this test proves nothing)");
        assertFalse(gradAfter[0], "bridge ops turn grad mode off on their thread");
        assertEquals(Torch.numThreads(), threads[0], "intra-op threads set on the worker");
        assertArrayEquals(onMain, onWorker.get(), "sdpa on a worker thread equals main's");
        assertArrayEquals(siluMain, siluWorker.get(), "silu on a worker thread equals main's");
    }

    @Test
    @SuppressWarnings("try") // the NDScope is there only to close what the ops return
    void tenThousandCallsInAScopeDoNotGrowNativeMemory() throws IOException {
        // (1, 4, 16, 256): every result is 64 KB (cheap to compute), so one op leaking its result would add 90 MB.
        NDArray x = manager.create(randn(new Random(7), 4 * 16 * 256), new Shape(1, 4, 16, 256));
        NDArray w = manager.ones(new Shape(4));
        NDArray mask = manager.create(new boolean[] {true, false, true, true}, new Shape(1, 1, 1, 4)).repeat(3, 4);
        NDArray features = mask.repeat(3, 16); // (1, 1, 1, 256)
        int callsPerRound = 7;
        Runnable round = () -> {
            try (NDScope scope = new NDScope()) {
                TorchOps.silu(x);
                TorchOps.scaledDotProductAttention(x, x, x, null, false, 0.125); // a boxed optional float
                TorchOps.scaledDotProductAttention(x, x, x, mask, false, null); // a boxed optional tensor
                TorchOps.groupNorm(x, 2, w, w, 1e-5); // two boxed optional tensors
                TorchOps.toByteBuffer(TorchOps.toDType(x, DType.BF16)); // a temporary handle freed inside
                TorchOps.maskedFill(x, features, -1); // a 0-dim value tensor made and consumed inside
            }
        };
        // One intra-op thread: on a shared, busy machine OpenMP's fork/join makes these tiny ops 4x slower.
        int threads = Torch.numThreads();
        Torch.setNumThreads(1);
        Torch.ensureThreadReady();
        try {
            for (int i = 0; i < 300; i++) {
                round.run(); // warm up the allocator, the JIT and LibTorch's kernels: RSS is flat after this
            }
            System.gc();
            long before = rssKb();
            int rounds = 10_000 / callsPerRound + 1;
            for (int i = 0; i < rounds; i++) {
                round.run();
            }
            System.gc();
            long after = rssKb();
            // This bounds what matters, results and their storage; a leaked handle or optional box alone (~100
            // bytes a call) is below RSS noise (glibc's malloc counters showed < 2 bytes a call for every op when
            // this was written). Java heap growth and allocator noise stay well under the bound.
            assertNotEquals(0, before);
            assertTrue(after - before < 64 * 1024, "RSS grew from " + before + " kB to " + after + " kB over "
                    + rounds * callsPerRound + " bridge calls");
        } finally {
            Torch.setNumThreads(threads);
            Torch.ensureThreadReady();
        }
    }

    // -------------------------------------------------------------------------------------------------------------
    // References and helpers

    /** Row-major softmax(q k^T * scale + mask) v for (bh, l, e) x (bh, s, e). */
    private static double[] attention(float[] q, float[] k, float[] v, int bh, int l, int s, int e, double scale,
            float[] addMask, boolean[] boolMask, boolean causal) {
        double[] out = new double[bh * l * e];
        for (int b = 0; b < bh; b++) {
            for (int i = 0; i < l; i++) {
                double[] w = new double[s];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < s; j++) {
                    double dot = 0;
                    for (int d = 0; d < e; d++) {
                        dot += (double) q[(b * l + i) * e + d] * k[(b * s + j) * e + d];
                    }
                    dot *= scale;
                    if (addMask != null) {
                        dot += addMask[i * s + j];
                    }
                    if ((boolMask != null && !boolMask[(b * l + i) * s + j]) || (causal && j > i)) {
                        dot = Double.NEGATIVE_INFINITY;
                    }
                    w[j] = dot;
                    max = Math.max(max, dot);
                }
                double sum = 0;
                for (int j = 0; j < s; j++) {
                    w[j] = Math.exp(w[j] - max);
                    sum += w[j];
                }
                for (int j = 0; j < s; j++) {
                    for (int d = 0; d < e; d++) {
                        out[(b * l + i) * e + d] += w[j] / sum * v[(b * s + j) * e + d];
                    }
                }
            }
        }
        return out;
    }

    private static double[] groupNorm(float[] x, int n, int c, int len, int groups, float[] w, float[] b, double eps) {
        double[] out = new double[x.length];
        int per = c / groups * len;
        for (int s = 0; s < n; s++) {
            for (int g = 0; g < groups; g++) {
                int start = (s * c + g * (c / groups)) * len;
                double mean = 0;
                for (int i = 0; i < per; i++) {
                    mean += x[start + i];
                }
                mean /= per;
                double var = 0;
                for (int i = 0; i < per; i++) {
                    var += (x[start + i] - mean) * (x[start + i] - mean);
                }
                var /= per;
                for (int i = 0; i < per; i++) {
                    int ch = g * (c / groups) + i / len;
                    double y = (x[start + i] - mean) / Math.sqrt(var + eps);
                    out[start + i] = w == null ? y : y * w[ch] + b[ch];
                }
            }
        }
        return out;
    }

    /** float32 -> bfloat16 bits, round to nearest even (what torch does), NaN kept quiet. */
    private static int bf16Bits(float f) {
        int bits = Float.floatToRawIntBits(f);
        if (Float.isNaN(f)) {
            return (bits >>> 16) | 0x40;
        }
        int lsb = (bits >>> 16) & 1;
        return ((bits + 0x7FFF + lsb) >>> 16) & 0xFFFF;
    }

    private static float[] randn(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextGaussian();
        }
        return a;
    }

    private static double[] toDoubles(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    /** abs(a - e) <= atol + rtol * abs(e) everywhere; the worst element is reported. */
    private static void assertClose(double[] expected, NDArray actualArray, double atol, double rtol, String what) {
        float[] actual = actualArray.toFloatArray();
        assertEquals(expected.length, actual.length, what + ": element count");
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            double excess = err - (atol + rtol * Math.abs(expected[i]));
            if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Double.isNaN(excess))) {
                worst = i;
                worstExcess = excess;
            }
        }
        if (worst >= 0) {
            fail(what + ": element " + worst + " is " + actual[worst] + ", expected " + expected[worst] + " (|diff| "
                    + Math.abs(actual[worst] - expected[worst]) + " > atol " + atol + " + rtol " + rtol + " * |e|)");
        }
    }

    private static long rssKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }

    @Test
    void indexCopyWritesSlicesInPlace() {
        NDArray buffer = manager.zeros(new Shape(1, 2, 5, 3));                 // (B, heads, max_len, head_dim)
        NDArray states = manager.arange(1f, 13f).reshape(1, 2, 2, 3);          // two new positions
        TorchOps.indexCopy(buffer, 2, manager.create(new long[] {3, 1}), states);
        float[] got = buffer.toFloatArray();
        // head 0: position 3 <- states[0, 0, 0], position 1 <- states[0, 0, 1]
        assertArrayEquals(new float[] {1, 2, 3}, Arrays.copyOfRange(got, 9, 12));
        assertArrayEquals(new float[] {4, 5, 6}, Arrays.copyOfRange(got, 3, 6));
        // head 1 likewise; untouched positions stay zero
        assertArrayEquals(new float[] {7, 8, 9}, Arrays.copyOfRange(got, 24, 27));
        assertArrayEquals(new float[] {0, 0, 0}, Arrays.copyOfRange(got, 0, 3));
        assertThrows(IllegalArgumentException.class,
                () -> TorchOps.indexCopy(buffer, 2, manager.create(new int[] {0, 1}), states));
    }
}
