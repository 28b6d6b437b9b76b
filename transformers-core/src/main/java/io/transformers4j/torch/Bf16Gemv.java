package io.transformers4j.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import io.transformers4j.weights.DType;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

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
 * <p>Threads: the rows are split over {@link Torch#numThreads()} threads, the caller's and {@code numThreads - 1}
 * daemon workers of this class that spin briefly between products (a decoding step runs ~60 of them, ~100 µs apart)
 * and then park. One model call at a time uses the workers; a concurrent call computes on its own thread alone.
 */
public final class Bf16Gemv {
    private Bf16Gemv() {}

    /** The kernel's entry points, bound once by JNA direct mapping. Addresses are passed as {@code long}. */
    static final class Kernels {
        private Kernels() {}

        static native int t4j_kernels_abi();

        static native int t4j_has_avx512bf16();

        static native void t4j_gemv_bf16(long w, long x, long y, long in, long rowBegin, long rowEnd);
    }

    /** The C file's {@code T4J_KERNELS_ABI}: a library from another version of this class is not used. */
    private static final int ABI = 1;
    /** Below this many weight elements per thread a product is not split (waking a worker costs more). */
    private static final long MIN_ELEMENTS_PER_THREAD = 1L << 18;

    private static final String UNAVAILABLE_REASON = load();

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

    /** Whether the kernel can run here (library loaded, CPU supported, not disabled). */
    public static boolean isAvailable() {
        return UNAVAILABLE_REASON == null;
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
        if (!(x instanceof PtNDArray) || w.tensor.isReleased()) {
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
            run(wAddr, b.dataPtr(hx), b.dataPtr(hy), w.in, w.rows);
            return new PtNDArray(px.getManager(), hy);
        } catch (RuntimeException | Error e) {
            b.delete(hy);
            throw e;
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Splitting rows over threads

    private static final ReentrantLock GANG_LOCK = new ReentrantLock();
    private static Gang gang; // guarded by GANG_LOCK

    private static void run(long w, long x, long y, long in, long rows) {
        int parts = (int) Math.max(1, Math.min(Torch.numThreads(), rows * in / MIN_ELEMENTS_PER_THREAD));
        if (parts == 1 || !GANG_LOCK.tryLock()) {
            Kernels.t4j_gemv_bf16(w, x, y, in, 0, rows);
            return;
        }
        try {
            if (gang == null || gang.workers.length < parts - 1) {
                if (gang != null) {
                    gang.stop();
                }
                gang = new Gang(parts - 1);
            }
            gang.run(w, x, y, in, rows, parts);
        } finally {
            GANG_LOCK.unlock();
        }
    }

    /**
     * Worker threads that each compute one slice of rows per product. A job is published as one immutable object in a
     * volatile field; a worker that sees a new one runs its slice (if it has one) and counts down the job's
     * {@code pending}. Workers spin for {@link #SPIN_NANOS} after a job (the next product comes within ~100 µs during
     * decoding) and then park until the next job unparks them.
     */
    private static final class Gang {
        private static final long SPIN_NANOS = 200_000;

        private record Job(long sequence, long w, long x, long y, long in, long rows, int parts,
                AtomicInteger pending) {}

        private final Thread[] workers;
        private volatile Job job = new Job(0, 0, 0, 0, 0, 0, 0, new AtomicInteger());
        private volatile boolean stopped;

        Gang(int n) {
            workers = new Thread[n];
            for (int i = 0; i < n; i++) {
                int part = i + 1;
                Thread t = new Thread(() -> work(part), "t4j-gemv-" + part);
                t.setDaemon(true);
                workers[i] = t;
                t.start();
            }
        }

        void run(long w, long x, long y, long in, long rows, int parts) {
            Job j = new Job(job.sequence() + 1, w, x, y, in, rows, parts, new AtomicInteger(parts - 1));
            job = j;
            for (int i = 0; i < parts - 1; i++) {
                LockSupport.unpark(workers[i]);
            }
            slice(0, parts, w, x, y, in, rows);
            while (j.pending().get() != 0) {
                Thread.onSpinWait();
            }
        }

        private void work(int part) {
            long seen = 0;
            while (true) {
                Job j = job;
                long spinStart = System.nanoTime();
                while (j.sequence() == seen) {
                    if (stopped) {
                        return;
                    }
                    if (System.nanoTime() - spinStart < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                    j = job;
                }
                seen = j.sequence();
                if (part < j.parts()) {
                    slice(part, j.parts(), j.w(), j.x(), j.y(), j.in(), j.rows());
                    j.pending().decrementAndGet();
                }
            }
        }

        /** Rows [part * rows / parts, (part + 1) * rows / parts), boundaries on multiples of 8 rows. */
        private static void slice(int part, int parts, long w, long x, long y, long in, long rows) {
            long begin = part == 0 ? 0 : (rows * part / parts) & ~7L;
            long end = part == parts - 1 ? rows : (rows * (part + 1) / parts) & ~7L;
            if (begin < end) {
                Kernels.t4j_gemv_bf16(w, x, y, in, begin, end);
            }
        }

        void stop() {
            stopped = true;
            for (Thread t : workers) {
                LockSupport.unpark(t);
            }
        }
    }
}
