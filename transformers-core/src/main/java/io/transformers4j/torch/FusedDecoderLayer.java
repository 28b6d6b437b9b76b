package io.transformers4j.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.transformers4j.weights.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A whole decoder layer of the Llama family ({@code LlamaDecoderLayer}: RMSNorm, rotary grouped-query attention
 * without biases, RMSNorm, SiLU-gated MLP, two residual adds) for one token of batch 1 on a static cache, bfloat16 or
 * float32, in one call of transformers4j's native kernels ({@code t4j_decoder_layer} in {@code src/main/native}).
 *
 * <p>Why: batch-1 decoding on two threads spent about as long in the ~30 small calls per layer around the matrix
 * products (norms, rotary, cache writes, adds, the MLP's activation and product; each a JNI call, a tensor allocation
 * and a LibTorch dispatch, all on one thread) as in the products themselves (docs/performance.md). Here a layer is one
 * call and five parallel regions.
 *
 * <p>bfloat16: the same numbers as the op-by-op path with the kernels on, to the bit. It calls the same kernels
 * ({@link Bf16Gemv}, {@link TorchOps#fusedRmsNorm}, {@link TorchOps#fusedRotary}, {@link DecodeAttention}) and rounds
 * the adds and the product as LibTorch's bfloat16 ops do; SiLU is read from tables of LibTorch's own bfloat16
 * {@code silu} over all 65536 inputs (its vectorised and its scalar loop, which differ in the last bit for some
 * inputs). float32: the op-by-op path's products are MKL's, so the layer's own float32 products agree to float32
 * rounding (sums in another order), as do its SiLU (LibTorch's scalar formula, with the C library's expf).
 *
 * <p>{@link #prepare} returns null where the layer cannot run fused (kernels unavailable, another dtype, shapes the
 * attention kernel does not take); {@link #forward} returns null for arguments it does not take, and the caller runs
 * the layer op by op. {@code -Dtransformers4j.fusedDecoderLayer=false} (or {@link #setEnabled}) turns it off alone,
 * to compare.
 */
public final class FusedDecoderLayer {
    private static volatile boolean enabled = !"false".equalsIgnoreCase(
            System.getProperty("transformers4j.fusedDecoderLayer"));
    private static final AtomicLong CALLS = new AtomicLong();

    private final NDArray[] weights; // input norm, q, k, v, o, post norm, gate, up, down
    private final DType dtype;
    private final long[] pointers = new long[18];
    private final long[] sizes = new long[11];
    private final float[] floats = new float[3];

    private FusedDecoderLayer(NDArray[] weights, DType dtype, long[] addresses, long hidden, long heads,
            long kvHeads, long headDim, long intermediate, float inputNormEps, float postNormEps) {
        this.weights = weights;
        this.dtype = dtype;
        System.arraycopy(addresses, 0, pointers, 1, addresses.length);
        sizes[0] = hidden;
        sizes[1] = heads;
        sizes[2] = kvHeads;
        sizes[3] = headDim;
        sizes[4] = intermediate;
        floats[0] = inputNormEps;
        floats[1] = postNormEps;
        floats[2] = (float) (1.0 / Math.sqrt(headDim)); // DecodeAttention's scale
    }

    /** Whether fused layers run (the kernels are here and neither the property nor {@link #setEnabled} said no). */
    public static boolean isEnabled() {
        return enabled && NativeKernels.isAvailable();
    }

    /** Turns fused layers on or off for the whole JVM (for A/B comparisons); the op-by-op path gives the same bits. */
    public static void setEnabled(boolean on) {
        enabled = on;
    }

    /** How many layer steps have run fused in this JVM: for tests and benchmark reports to tell which path ran. */
    public static long callCount() {
        return CALLS.get();
    }

    /**
     * The layer's weights checked once, or null when it cannot run fused: every weight a contiguous CPU tensor of
     * the shapes below, all bfloat16 or all float32, head_dim a multiple of 16 up to 512, at most 16 query heads
     * per key/value head.
     *
     * @param q (heads * head_dim, hidden); k and v (kv_heads * head_dim, hidden); o (hidden, heads * head_dim)
     * @param gate (intermediate, hidden); up the same; down (hidden, intermediate)
     */
    public static FusedDecoderLayer prepare(NDArray inputNorm, float inputNormEps, NDArray q, NDArray k, NDArray v,
            NDArray o, NDArray postNorm, float postNormEps, NDArray gate, NDArray up, NDArray down, int heads,
            int kvHeads) {
        if (!isEnabled() || heads < 1 || kvHeads < 1 || heads % kvHeads != 0 || heads / kvHeads > 16) {
            return null;
        }
        NDArray[] ws = {inputNorm, q, k, v, o, postNorm, gate, up, down};
        NativeKernels.Operands ops = NativeKernels.operands(ws);
        if (ops == null) {
            return null;
        }
        LibTorchBridge b = LibTorchBridge.get();
        long[][] shapes = new long[ws.length][];
        for (int i = 0; i < ws.length; i++) {
            long h = ops.handles()[i];
            if (h == 0 || !b.isContiguous(h)) {
                return null;
            }
            shapes[i] = b.sizes(h);
        }
        if (shapes[0].length != 1 || shapes[1].length != 2) {
            return null;
        }
        long hidden = shapes[0][0];
        long headDim = shapes[1][0] / heads;
        long kvRows = kvHeads * headDim;
        long intermediate = shapes[6].length == 2 ? shapes[6][0] : -1;
        long[][] expected = {{hidden}, {heads * headDim, hidden}, {kvRows, hidden}, {kvRows, hidden},
            {hidden, heads * headDim}, {hidden}, {intermediate, hidden}, {intermediate, hidden},
            {hidden, intermediate}};
        for (int i = 0; i < ws.length; i++) {
            if (!java.util.Arrays.equals(shapes[i], expected[i])) {
                return null;
            }
        }
        if (headDim * heads != shapes[1][0] || headDim < 16 || headDim > 512 || headDim % 16 != 0
                || intermediate < 1 || (ops.dtype() == DType.BF16 && SiluTables.unavailable())) {
            return null;
        }
        long[] addresses = new long[ws.length];
        for (int i = 0; i < ws.length; i++) {
            addresses[i] = b.dataPtr(ops.handles()[i]);
        }
        return new FusedDecoderLayer(ws, ops.dtype(), addresses, hidden, heads, kvHeads, headDim, intermediate,
                inputNormEps, postNormEps);
    }

    /**
     * The layer's output for one token, writing its key and value at {@code position} of the layer's cache buffers;
     * null when these arguments are not taken (then nothing is returned and the caller runs the layer op by op, which
     * writes the same cache rows again).
     *
     * @param hidden (1, 1, hidden) of the weights' dtype (every tensor here is), contiguous
     * @param cos the rotary table row of this position, head_dim contiguous values (any leading size-1 dims)
     * @param sin likewise
     * @param keyCache the layer's static-cache keys (batch, kv_heads, max_cache_len, head_dim), contiguous;
     *     batch row 0 is used
     * @param valueCache likewise
     * @param position the cache position of the token
     * @param mask the additive mask row over the keys attended, (1, 1, 1, keys) with keys in
     *     (position, max_cache_len]: key j is attended when j < keys, weighted by the mask
     * @return (1, 1, hidden) in hidden's manager, or null
     */
    public NDArray forward(NDArray hidden, NDArray cos, NDArray sin, NDArray keyCache, NDArray valueCache,
            long position, NDArray mask) {
        if (!enabled) {
            return null;
        }
        for (NDArray w : weights) {
            if (w.isReleased()) {
                return null;
            }
        }
        NativeKernels.Operands ops = NativeKernels.operands(hidden, cos, sin, keyCache, valueCache, mask);
        if (ops == null || ops.dtype() != dtype) {
            return null;
        }
        LibTorchBridge b = LibTorchBridge.get();
        long[] h = ops.handles();
        long headDim = sizes[3];
        for (long handle : h) {
            if (handle == 0 || !b.isContiguous(handle)) {
                return null;
            }
        }
        long[] hs = b.sizes(h[0]);
        long[] ks = b.sizes(h[3]);
        long[] ms = b.sizes(h[5]);
        if (b.numel(h[0]) != sizes[0] || hs.length != 3 || b.numel(h[1]) != headDim || b.numel(h[2]) != headDim
                || ks.length != 4 || ks[1] != sizes[2] || ks[3] != headDim
                || !java.util.Arrays.equals(ks, b.sizes(h[4])) || ms.length != 4 || b.numel(h[5]) != ms[3]) {
            return null;
        }
        long keys = ms[3];
        if (position < 0 || position >= keys || keys > ks[2]) {
            return null;
        }
        long[] p = pointers.clone();
        p[0] = b.dataPtr(h[0]);
        p[10] = b.dataPtr(h[1]);
        p[11] = b.dataPtr(h[2]);
        p[12] = b.dataPtr(h[3]);
        p[13] = b.dataPtr(h[4]);
        p[14] = b.dataPtr(h[5]);
        p[15] = SiluTables.VECTOR;
        p[16] = SiluTables.SCALAR;
        long[] n = sizes.clone();
        n[5] = position;
        n[6] = keys;
        n[7] = ks[2] * headDim; // head stride of a contiguous (batch, kv_heads, max_cache_len, head_dim) buffer
        n[8] = headDim;
        n[9] = ks[2] * headDim;
        n[10] = headDim;
        NDArray out = NativeKernels.intoNewTensor(b, ((PtNDArray) hidden).getManager(), hs, dtype, o -> {
            p[17] = o;
            return NativeKernels.C.t4j_decoder_layer(ops.dtypeCode(), p, n, floats, Torch.numThreads());
        });
        if (out != null) {
            CALLS.incrementAndGet();
        }
        return out;
    }

    /**
     * LibTorch's bfloat16 silu of every bit pattern, as two tables of 65536 bfloat16 values: from its vectorised loop
     * (a contiguous input) and from its scalar loop (a strided input). Made once, on first use; they live as long as
     * the JVM (256 KB).
     */
    static final class SiluTables {
        static final ByteBuffer VECTOR_TABLE;
        static final ByteBuffer SCALAR_TABLE;
        static final long VECTOR;
        static final long SCALAR;

        static {
            ByteBuffer vector = null;
            ByteBuffer scalar = null;
            if (NativeKernels.isAvailable()) {
                // [0, 65536) contiguous, then (65536, 2) elements holding the same patterns in column 0
                ByteBuffer patterns = ByteBuffer.allocateDirect(65536 * 6).order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < 65536; i++) {
                    patterns.putShort(i * 2, (short) i);
                    patterns.putShort(65536 * 2 + i * 4, (short) i);
                }
                try (NDManager m = NDManager.newBaseManager()) {
                    NDArray contiguous = TorchOps.fromBlob(patterns, new long[] {65536}, DType.BF16, m);
                    vector = TorchOps.toByteBuffer(TorchOps.silu(contiguous));
                    NDArray both = TorchOps.fromBlob(patterns.slice(65536 * 2, 65536 * 4), new long[] {65536, 2},
                            DType.BF16, m);
                    scalar = TorchOps.toByteBuffer(TorchOps.silu(both.get(new NDIndex(":, 0"))));
                }
            }
            VECTOR_TABLE = vector;
            SCALAR_TABLE = scalar;
            VECTOR = vector == null ? 0 : Pointer.nativeValue(Native.getDirectBufferPointer(vector));
            SCALAR = scalar == null ? 0 : Pointer.nativeValue(Native.getDirectBufferPointer(scalar));
        }

        static boolean unavailable() {
            return VECTOR == 0 || SCALAR == 0;
        }
    }
}
