package io.transformers4j.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.transformers4j.weights.DType;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One-row bfloat16 linear layers ({@code y = x W^T}, x one row, W (out, in)) by transformers4j's own kernel
 * ({@code src/main/native/t4j_kernels.c}): the matrix-vector products of a decoding step, where batch-1 generation
 * spends most of its time streaming weights. On a Sapphire Rapids core it reads bfloat16 weights at 10-11 GB/s
 * against 7-9 GB/s for LibTorch's oneDNN path (docs/performance.md); the sums are float32 and the result is rounded to
 * nearest-even, so it differs from oneDNN's by at most a bfloat16 rounding where the two add in another order.
 *
 * <p>Used by {@link io.transformers4j.nn.Linear} when the kernel is here: the library {@code libt4jkernels.so}
 * (built at {@code mvn compile} where gcc is found; x86-64 Linux only so far), a CPU with AVX512-BF16 and the system
 * property {@code transformers4j.nativeKernels} not {@code false}. Otherwise {@link #isAvailable()} is false and
 * LibTorch computes, with the same results to bfloat16 rounding.
 *
 * <p>Threads: the rows are split over {@link Torch#numThreads()} threads of LibTorch's own OpenMP team (the kernel
 * calls the {@code GOMP_parallel} of the libgomp LibTorch loaded). A pool of our own would compete with LibTorch's
 * threads, which spin between ops: measured 1.6x slower decoding on 2 cores. Where that libgomp is not found, the
 * kernel runs for one thread only and several threads are left to LibTorch's kernels.
 */
public final class Bf16Gemv {
    private Bf16Gemv() {}

    /** The kernel's entry points, bound once by JNA direct mapping. Addresses are passed as {@code long}. */
    static final class Kernels {
        private Kernels() {}

        static native int t4j_kernels_abi();

        static native int t4j_has_avx512bf16();

        static native int t4j_use_gomp(long parallel, long threadNum, long numThreads);

        static native void t4j_gemv_bf16_parallel(long w, long x, long y, long in, long rows, int threads);
    }

    /** The C file's {@code T4J_KERNELS_ABI}: a library from another version of this class is not used. */
    private static final int ABI = 2;
    /** Below this many weight elements per thread a product is not split (waking a thread costs more). */
    private static final long MIN_ELEMENTS_PER_THREAD = 1L << 18;

    private static final String UNAVAILABLE_REASON = load();
    /** Whether the kernel runs on LibTorch's OpenMP threads (else on the caller's only). */
    private static final boolean PARALLEL = UNAVAILABLE_REASON == null && useLibTorchOpenMp();

    private static String load() {
        if ("false".equalsIgnoreCase(System.getProperty("transformers4j.nativeKernels"))) {
            return "disabled by -Dtransformers4j.nativeKernels=false";
        }
        try {
            // JNA finds linux-x86-64/libt4jkernels.so on the classpath (extracted to a temporary file) or on
            // jna.library.path.
            Native.register(Kernels.class, NativeLibrary.getInstance("t4jkernels"));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return "libt4jkernels not found or not loadable (" + e.getMessage() + ")";
        }
        int abi = Kernels.t4j_kernels_abi();
        if (abi != ABI) {
            return "libt4jkernels is ABI " + abi + ", this class expects " + ABI;
        }
        if (Kernels.t4j_has_avx512bf16() != 1) {
            return "this CPU lacks AVX512-BF16";
        }
        return null;
    }

    /**
     * Binds the kernel to the OpenMP runtime in LibTorch's folder (DJL's LibTorch ships GCC's libgomp; Intel's
     * libiomp5 exports the same GOMP entry points).
     */
    private static boolean useLibTorchOpenMp() {
        try (DirectoryStream<Path> libs = Files.newDirectoryStream(Path.of(LibUtils.getLibtorchPath()),
                "{libgomp,libiomp5}*.so*")) {
            for (Path lib : libs) {
                NativeLibrary omp = NativeLibrary.getInstance(lib.toString());
                long parallel = Pointer.nativeValue(omp.getFunction("GOMP_parallel"));
                long threadNum = Pointer.nativeValue(omp.getFunction("omp_get_thread_num"));
                long numThreads = Pointer.nativeValue(omp.getFunction("omp_get_num_threads"));
                return Kernels.t4j_use_gomp(parallel, threadNum, numThreads) == 0;
            }
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            return false;
        }
        return false;
    }

    /** Whether the kernel can run here (library loaded, CPU supported, not disabled). */
    public static boolean isAvailable() {
        return UNAVAILABLE_REASON == null;
    }

    /**
     * Whether the kernel splits its rows over LibTorch's threads; when false, products for more than one thread
     * ({@link Torch#numThreads()} > 1) are left to LibTorch ({@link #linear} returns null).
     */
    public static boolean isParallel() {
        return PARALLEL;
    }

    /** Why {@link #isAvailable()} is false, or null when it is true: for logs and benchmark reports. */
    public static String unavailableReason() {
        return UNAVAILABLE_REASON;
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
        if (!(x instanceof PtNDArray) || w.tensor.isReleased() || (threads > 1 && !PARALLEL)) {
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
        long hy = b.emptyCpu(ys, DType.BF16);
        try {
            long wAddr = b.dataPtr(((PtNDArray) w.tensor).getHandle());
            Kernels.t4j_gemv_bf16_parallel(wAddr, b.dataPtr(hx), b.dataPtr(hy), w.in, w.rows, threads);
            return new PtNDArray(px.getManager(), hy);
        } catch (RuntimeException | Error e) {
            b.delete(hy);
            throw e;
        }
    }
}
