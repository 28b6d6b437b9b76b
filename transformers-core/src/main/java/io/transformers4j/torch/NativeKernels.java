package io.transformers4j.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.transformers4j.weights.DType;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.LongToIntFunction;

/**
 * transformers4j's native kernels ({@code src/main/native/t4j_kernels.c}, built into {@code libt4jkernels.so} at
 * {@code mvn compile} where gcc is found; x86-64 Linux with AVX512-BF16 only so far): loading, the CPU check, and the
 * binding to LibTorch's OpenMP threads. {@link Bf16Gemv}, {@link DecodeAttention}, {@link TorchOps#fusedRmsNorm} and
 * {@link TorchOps#fusedRotary} and {@link FusedDecoderLayer} are the entry points;
 * where the library cannot run they say so and their callers use LibTorch. {@code -Dtransformers4j.nativeKernels=false} turns the kernels off (e.g. to compare).
 */
final class NativeKernels {
    private NativeKernels() {}

    /** The library's entry points, bound once by JNA direct mapping. Addresses are passed as {@code long}. */
    static final class C {
        private C() {}

        static native int t4j_kernels_abi();

        static native int t4j_has_avx512bf16();

        static native int t4j_use_gomp(long parallel, long threadNum, long numThreads);

        static native void t4j_gemv_bf16_parallel(long w, long x, long y, long in, long rows, int threads);

        static native int t4j_rms_norm(int dtype, long x, long w, long out, long rows, long n, float eps);

        static native int t4j_rotary(int dtype, long x, long cos, long sin, long out, long batch, long heads,
                long seq, long dim, long[] strides);

        static native int t4j_attention_decode(int dtype, long q, long k, long v, long mask, long out, long batch,
                long heads, long rows, long keys, long dim, long[] strides, float scale, int threads);

        static native int t4j_decoder_layer(int dtype, long[] pointers, long[] sizes, float[] floats, int threads);
    }

    /** The C file's {@code T4J_KERNELS_ABI}: a library built from another version of it is not used. */
    private static final int ABI = 8;
    private static final String UNAVAILABLE_REASON = load();
    /** Whether the kernels run on LibTorch's OpenMP threads (else on the caller's only). */
    private static final boolean PARALLEL = UNAVAILABLE_REASON == null && useLibTorchOpenMp();

    private static String load() {
        if ("false".equalsIgnoreCase(System.getProperty("transformers4j.nativeKernels"))) {
            return "disabled by -Dtransformers4j.nativeKernels=false";
        }
        try {
            // JNA finds linux-x86-64/libt4jkernels.so on the classpath (extracted to a temporary file) or on
            // jna.library.path.
            Native.register(C.class, NativeLibrary.getInstance("t4jkernels"));
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return "libt4jkernels not found or not loadable (" + e.getMessage() + ")";
        }
        int abi = C.t4j_kernels_abi();
        if (abi != ABI) {
            return "libt4jkernels is ABI " + abi + ", transformers4j expects " + ABI;
        }
        if (C.t4j_has_avx512bf16() != 1) {
            return "this CPU lacks AVX512-BF16";
        }
        return null;
    }

    /**
     * Binds the kernels to the OpenMP runtime in LibTorch's folder (DJL's LibTorch ships GCC's libgomp; Intel's
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
                return C.t4j_use_gomp(parallel, threadNum, numThreads) == 0;
            }
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            return false;
        }
        return false;
    }

    /** The tensor handles a kernel call takes (0 for an absent optional argument) and their common dtype. */
    record Operands(long[] handles, DType dtype) {
        /** The kernels' dtype argument: 0 float32, 1 bfloat16. */
        int dtypeCode() {
            return dtype == DType.F32 ? 0 : 1;
        }
    }

    /**
     * What every entry point checks first: the kernels run here, and every non-null array is a CPU tensor of the
     * PyTorch engine, all of one dtype, float32 or bfloat16. Returns their handles (0 for a null array), or null when
     * the kernels cannot take them and the caller should use LibTorch.
     */
    static Operands operands(NDArray... arrays) {
        if (!isAvailable()) {
            return null;
        }
        for (NDArray a : arrays) {
            if (a != null && !(a instanceof PtNDArray)) {
                return null;
            }
        }
        LibTorchBridge b = LibTorchBridge.get();
        long[] handles = new long[arrays.length];
        DType dtype = null;
        for (int i = 0; i < arrays.length; i++) {
            if (arrays[i] == null) {
                continue;
            }
            long h = ((PtNDArray) arrays[i]).getHandle();
            DType d = b.dtype(h);
            if ((d != DType.F32 && d != DType.BF16) || (dtype != null && d != dtype) || !b.isCpu(h)) {
                return null;
            }
            dtype = d;
            handles[i] = h;
        }
        return new Operands(handles, dtype);
    }

    /**
     * Runs {@code kernel} on the address of a new uninitialised CPU tensor of {@code shape} and {@code dtype} and
     * returns that tensor in {@code manager}; when the kernel returns non-zero (it declined the arguments), or throws,
     * the tensor is freed and the result is null (or the exception propagates).
     */
    static NDArray intoNewTensor(LibTorchBridge b, PtNDManager manager, long[] shape, DType dtype,
            LongToIntFunction kernel) {
        long out = b.emptyCpu(shape, dtype);
        try {
            if (kernel.applyAsInt(b.dataPtr(out)) != 0) {
                b.delete(out);
                return null;
            }
            return new PtNDArray(manager, out);
        } catch (RuntimeException | Error e) {
            b.delete(out);
            throw e;
        }
    }

    static boolean isAvailable() {
        return UNAVAILABLE_REASON == null;
    }

    static boolean isParallel() {
        return PARALLEL;
    }

    static String unavailableReason() {
        return UNAVAILABLE_REASON;
    }
}
