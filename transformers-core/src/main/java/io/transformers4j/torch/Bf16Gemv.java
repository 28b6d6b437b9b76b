package io.transformers4j.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import io.transformers4j.weights.DType;

/**
 * One-row bfloat16 linear layers ({@code y = x W^T}, x one row, W (out, in)) by transformers4j's own kernel
 * ({@code src/main/native/t4j_kernels.c}): the matrix-vector products of a decoding step, where batch-1 generation
 * spends most of its time streaming weights. On a Sapphire Rapids core it reads bfloat16 weights at 10-11 GB/s in
 * isolation and ~9.4 GB/s over a memory-mapped checkpoint in a decoding step, against 7-9 GB/s for LibTorch's oneDNN
 * path (docs/performance.md); the sums are float32 and the result is rounded to
 * nearest-even, so it differs from oneDNN's by at most a bfloat16 rounding where the two add in another order.
 *
 * <p>Used by {@link io.transformers4j.nn.Linear} when the kernel is here: the library {@code libt4jkernels.so}
 * (built at {@code mvn compile} where gcc is found; x86-64 Linux only so far), a CPU with AVX512-BF16 and the system
 * property {@code transformers4j.nativeKernels} not {@code false}. Otherwise {@link #isAvailable()} is false and
 * LibTorch computes, with the same results to bfloat16 rounding.
 *
 * <p>Threads: the rows are split over {@link Torch#numThreads()} threads of LibTorch's own OpenMP team (the kernel
 * calls the {@code GOMP_parallel} of the libgomp LibTorch loaded). A pool of our own would compete with LibTorch's
 * threads, which spin between ops: measured 1.6-2.3x slower decoding on 2 cores. Where that libgomp is not found, the
 * kernel runs for one thread only and several threads are left to LibTorch's kernels.
 */
public final class Bf16Gemv {
    private Bf16Gemv() {}

    /** Below this many weight elements per thread a product is not split (waking a thread costs more). */
    private static final long MIN_ELEMENTS_PER_THREAD = 1L << 18;

    /** Whether the kernel can run here (library loaded, CPU supported, not disabled). */
    public static boolean isAvailable() {
        return NativeKernels.isAvailable();
    }

    /**
     * Whether the kernel splits its rows over LibTorch's threads; when false, products for more than one thread
     * ({@link Torch#numThreads()} > 1) are left to LibTorch ({@link #linear} returns null).
     */
    public static boolean isParallel() {
        return NativeKernels.isParallel();
    }

    /** Why {@link #isAvailable()} is false, or null when it is true: for logs and benchmark reports. */
    public static String unavailableReason() {
        return NativeKernels.unavailableReason();
    }

    /** A weight checked once for the kernel: (rows, in) bfloat16, contiguous, on the CPU. */
    public static final class Weight {
        private final NDArray tensor;
        private final long rows;
        private final long in;

        private Weight(NDArray tensor, long rows, long in) {
            this.tensor = tensor;
            this.rows = rows;
            this.in = in;
        }
    }

    /**
     * {@code weight} prepared for {@link #linear}, or null when the kernel cannot take it (kernel unavailable, not
     * bfloat16, not 2-D, not contiguous, not on the CPU, or empty).
     */
    public static Weight prepare(NDArray weight) {
        if (!isAvailable() || !(weight instanceof PtNDArray)) {
            return null;
        }
        LibTorchBridge b = LibTorchBridge.get();
        long h = ((PtNDArray) weight).getHandle();
        if (!b.isCpu(h) || b.dtype(h) != DType.BF16) {
            return null;
        }
        long[] s = b.sizes(h);
        if (s.length != 2 || s[0] == 0 || s[1] == 0) {
            return null;
        }
        long[] st = b.strides(h);
        if (st[1] != 1 || (st[0] != s[1] && s[0] > 1)) {
            return null;
        }
        return new Weight(weight, s[0], s[1]);
    }

    /**
     * {@code x W^T} for one row {@code x} of bfloat16 (shape (..., in) with every leading size 1), as a new
     * bfloat16 array (..., out) in x's manager; null when x does not fit (another dtype or device, more than one row,
     * not contiguous), for the caller to use LibTorch instead.
     */
    public static NDArray linear(NDArray x, Weight w) {
        int threads = (int) Math.max(1, Math.min(Torch.numThreads(), w.rows * w.in / MIN_ELEMENTS_PER_THREAD));
        if (!(x instanceof PtNDArray) || w.tensor.isReleased() || (threads > 1 && !isParallel())) {
            return null;
        }
        PtNDArray px = (PtNDArray) x;
        LibTorchBridge b = LibTorchBridge.get();
        long hx = px.getHandle();
        long[] xs = b.sizes(hx);
        if (xs.length == 0 || xs[xs.length - 1] != w.in || b.numel(hx) != w.in || b.dtype(hx) != DType.BF16
                || !b.isCpu(hx) || b.strides(hx)[xs.length - 1] != 1) {
            return null;
        }
        long[] ys = xs.clone();
        ys[ys.length - 1] = w.rows;
        long wAddr = b.dataPtr(((PtNDArray) w.tensor).getHandle());
        long xAddr = b.dataPtr(hx);
        return NativeKernels.intoNewTensor(b, px.getManager(), ys, DType.BF16, out -> {
            NativeKernels.C.t4j_gemv_bf16_parallel(wAddr, xAddr, out, w.in, w.rows, threads);
            return 0;
        });
    }
}
