package io.transformers4j.torch;

import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import io.transformers4j.weights.DType;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A small bridge to the C functions {@code libtorch_cpu} exports ({@code aoti_torch_*}, the ABI AOTInductor models
 * use), for what DJL's API lacks. A DJL tensor handle ({@code PtNDArray.getHandle()}) is a {@code torch::Tensor*},
 * which is exactly the {@code AtenTensorHandle} these functions take, and every tensor they return is a
 * {@code new at::Tensor}, which DJL frees with {@code delete} when the wrapping PtNDArray closes.
 *
 * <p>Two kinds of entry points are used:
 * <ul>
 *   <li>typed functions of shim.h ({@code aoti_torch_convolution}, {@code aoti_torch_create_tensor_from_blob},
 *       getters): arguments are borrowed, results are new references;</li>
 *   <li>{@code aoti_torch_call_dispatcher(op, overload, stack)}: runs any ATen operator whose arguments are
 *       Tensor/int/float/bool/ScalarType/MemoryFormat or optionals of those. Its stack is one 64-bit
 *       {@code StableIValue} per schema argument, ALL arguments including defaulted ones, in schema order, and
 *       its encoding belongs to this LibTorch release (checked in LibTorch 2.7.1's {@code shim_common.cpp} and by
 *       disassembling its {@code to_ivalue}): a tensor is a handle that the call CONSUMES (deletes), so we pass a
 *       fresh one from {@code aoti_torch_new_tensor_handle}; int is int64, float is the double's bits, bool and
 *       ScalarType are their value in the low byte; an absent optional is 0 and a present one is a pointer to a
 *       heap StableIValue that the call frees with C++ {@code operator delete}, so we allocate it with
 *       {@code operator new}. The first return replaces stack[0].</li>
 * </ul>
 * Because the dispatcher reads as many stack slots as the schema has arguments, a LibTorch whose schemas differ
 * could read past our stack: the bridge therefore checks LibTorch's ABI version before it runs anything, and a
 * self-test at first use runs a tiny computation per operator family and compares it with values computed here.
 *
 * <p>Thread-safe: loading and the self-test happen once per process under a lock; the calls themselves are plain
 * LibTorch calls.
 */
final class LibTorchBridge {

    /** The LibTorch release whose C ABI and operator schemas this bridge encodes. */
    static final String BUILT_FOR = "2.7.1";
    private static final long BUILT_FOR_ABI = (2L << 56) | (7L << 48) | (1L << 40);
    // aoti_torch_abi_version() is TORCH_ABI_VERSION: major << 56 | minor << 48 | patch << 40 | tweak.
    private static final long MAJOR_MINOR_MASK = 0xFFFF_0000_0000_0000L;

    /**
     * Bound once by JNA direct mapping: each call is one native call with no per-call reflection. Handles are
     * passed as {@code long} (pointers are 64-bit on every platform LibTorch ships for); {@code long[]} and
     * {@code int[]} arrays are copied in and back out, which is how out-parameters come back.
     */
    static final class C {
        private C() {}

        static native int aoti_torch_new_tensor_handle(long orig, long[] ret);

        static native int aoti_torch_delete_tensor_object(long tensor);

        static native int aoti_torch_call_dispatcher(Pointer opName, Pointer overloadName, long[] stack);

        static native int aoti_torch_convolution(long input, long weight, long bias,
                long[] stride, long strideSize, long[] padding, long paddingSize, long[] dilation, long dilationSize,
                int transposed, long[] outputPadding, long outputPaddingSize, long groups, long[] ret);

        static native int aoti_torch_create_tensor_from_blob(long data, long ndim, long[] sizes, long[] strides,
                long storageOffset, int dtype, int deviceType, int deviceIndex, long[] ret);

        static native int aoti_torch_scalar_to_tensor_float64(double value, long[] ret);

        static native int aoti_torch_empty_strided(long ndim, long[] sizes, long[] strides, int dtype, int deviceType,
                int deviceIndex, long[] ret);

        static native int aoti_torch_get_dtype(long tensor, int[] ret);

        static native int aoti_torch_get_dim(long tensor, long[] ret);

        static native int aoti_torch_get_sizes(long tensor, long[] ret);

        static native int aoti_torch_get_strides(long tensor, long[] ret);

        static native int aoti_torch_get_numel(long tensor, long[] ret);

        static native int aoti_torch_get_data_ptr(long tensor, long[] ret);

        static native int aoti_torch_get_device_type(long tensor, int[] ret);

        static native long aoti_torch_abi_version();

        static native int aoti_torch_device_type_cpu();

        static native int aoti_torch_memory_format_contiguous_format();

        static native int aoti_torch_dtype_float64();

        static native int aoti_torch_dtype_float32();

        static native int aoti_torch_dtype_float16();

        static native int aoti_torch_dtype_bfloat16();

        static native int aoti_torch_dtype_int64();

        static native int aoti_torch_dtype_int32();

        static native int aoti_torch_dtype_int16();

        static native int aoti_torch_dtype_int8();

        static native int aoti_torch_dtype_uint8();

        static native int aoti_torch_dtype_bool();

        /** C++ {@code operator new(size_t)} from libstdc++: the allocator matching the dispatcher's delete. */
        static native long _Znwm(long size);
    }

    /**
     * oneDNN entry points that exist only in LibTorch builds with MKLDNN (the x86_64 and aarch64 CPU builds DJL
     * ships): bound separately from {@link C}, so a build without them loses the fast path, not the bridge.
     */
    static final class Mkldnn {
        private Mkldnn() {}

        /**
         * {@code mkldnn::_linear_pointwise(X, W, B, attr, scalars, algorithm)}, the fused linear Inductor emits for
         * CPU: {@code B} points to a bias handle or is null, {@code attr} "none" means no fused activation.
         */
        static native int aoti_torch_cpu__linear_pointwise(long x, long w, long[] b, Pointer attr, Pointer scalars,
                long scalarsLen, Pointer algorithm, long[] ret);
    }

    private static final Memory ATTR_NONE = cString("none");

    /** Every symbol {@link C} binds: resolved one by one first so a mismatch names all that are missing. */
    private static final List<String> SYMBOLS = Arrays.asList(
            "aoti_torch_new_tensor_handle", "aoti_torch_delete_tensor_object", "aoti_torch_call_dispatcher",
            "aoti_torch_convolution", "aoti_torch_create_tensor_from_blob", "aoti_torch_scalar_to_tensor_float64",
            "aoti_torch_empty_strided",
            "aoti_torch_get_dtype", "aoti_torch_get_dim", "aoti_torch_get_sizes", "aoti_torch_get_strides",
            "aoti_torch_get_numel", "aoti_torch_get_data_ptr", "aoti_torch_get_device_type",
            "aoti_torch_abi_version", "aoti_torch_device_type_cpu", "aoti_torch_memory_format_contiguous_format",
            "aoti_torch_dtype_float64", "aoti_torch_dtype_float32", "aoti_torch_dtype_float16",
            "aoti_torch_dtype_bfloat16", "aoti_torch_dtype_int64", "aoti_torch_dtype_int32",
            "aoti_torch_dtype_int16", "aoti_torch_dtype_int8", "aoti_torch_dtype_uint8", "aoti_torch_dtype_bool",
            "_Znwm");

    /** The ATen operators called through the dispatcher, with their LibTorch 2.7.1 schema's argument count. */
    enum Op {
        // to.dtype(Tensor(a) self, ScalarType dtype, bool non_blocking=False, bool copy=False,
        //          MemoryFormat? memory_format=None) -> Tensor(a)
        TO_DTYPE("aten::to", "dtype", 5),
        // contiguous(Tensor(a) self, *, MemoryFormat memory_format=contiguous_format) -> Tensor(a)
        CONTIGUOUS("aten::contiguous", "", 2),
        SILU("aten::silu", "", 1),
        RSQRT("aten::rsqrt", "", 1),
        // tril(Tensor self, int diagonal=0) -> Tensor
        TRIL("aten::tril", "", 2),
        TRIU("aten::triu", "", 2),
        // masked_fill.Tensor(Tensor self, Tensor mask, Tensor value) -> Tensor (the Scalar overload takes a
        // Scalar, which the dispatcher's StableIValue cannot carry; a 0-dim tensor value is equivalent)
        MASKED_FILL("aten::masked_fill", "Tensor", 3),
        // scaled_dot_product_attention(Tensor query, Tensor key, Tensor value, Tensor? attn_mask=None,
        //     float dropout_p=0.0, bool is_causal=False, *, float? scale=None, bool enable_gqa=False) -> Tensor
        SDPA("aten::scaled_dot_product_attention", "", 8),
        // group_norm(Tensor input, int num_groups, Tensor? weight=None, Tensor? bias=None, float eps=1e-05,
        //     bool cudnn_enabled=True) -> Tensor
        GROUP_NORM("aten::group_norm", "", 6),
        // multinomial(Tensor self, int num_samples, bool replacement=False, *, Generator? generator=None)
        MULTINOMIAL("aten::multinomial", "", 4),
        // index_copy_(Tensor(a!) self, int dim, Tensor index, Tensor source) -> Tensor(a!)
        INDEX_COPY_("aten::index_copy_", "", 4);

        final String opName;
        final String overload;
        final int numArgs;
        private final Memory cOpName;
        private final Memory cOverload;

        Op(String opName, String overload, int numArgs) {
            this.opName = opName;
            this.overload = overload;
            this.numArgs = numArgs;
            this.cOpName = cString(opName);
            this.cOverload = cString(overload);
        }

        String schemaName() {
            return overload.isEmpty() ? opName : opName + "." + overload;
        }
    }

    private static final Object LOCK = new Object();
    private static volatile LibTorchBridge instance;
    private static LibTorchException failure;

    private final Path library;
    private final String loadedVersion;
    private final Map<DType, Integer> dtypeCodes = new EnumMap<>(DType.class);
    private final Map<Integer, DType> dtypesByCode = new HashMap<>();
    private final int cpuDevice;
    private final int contiguousFormat;
    /** Whether {@link Mkldnn} is bound and passed the self-test (CPU with bfloat16 support). */
    private volatile boolean mkldnnLinear;

    private LibTorchBridge(Path library, String loadedVersion) {
        this.library = library;
        this.loadedVersion = loadedVersion;
        dtypeCodes.put(DType.F64, C.aoti_torch_dtype_float64());
        dtypeCodes.put(DType.F32, C.aoti_torch_dtype_float32());
        dtypeCodes.put(DType.F16, C.aoti_torch_dtype_float16());
        dtypeCodes.put(DType.BF16, C.aoti_torch_dtype_bfloat16());
        dtypeCodes.put(DType.I64, C.aoti_torch_dtype_int64());
        dtypeCodes.put(DType.I32, C.aoti_torch_dtype_int32());
        dtypeCodes.put(DType.I16, C.aoti_torch_dtype_int16());
        dtypeCodes.put(DType.I8, C.aoti_torch_dtype_int8());
        dtypeCodes.put(DType.U8, C.aoti_torch_dtype_uint8());
        dtypeCodes.put(DType.BOOL, C.aoti_torch_dtype_bool());
        dtypeCodes.forEach((d, code) -> dtypesByCode.put(code, d));
        this.cpuDevice = C.aoti_torch_device_type_cpu();
        this.contiguousFormat = C.aoti_torch_memory_format_contiguous_format();
    }

    /**
     * The bridge, loaded and self-tested on first use in the process (later calls only read a volatile field), with
     * the calling thread made ready ({@link Torch#ensureThreadReady()}: grad mode off, intra-op threads).
     *
     * @throws LibTorchException if the loaded LibTorch lacks a symbol, is another release, or fails the self-test
     *     (the same exception again on every later call)
     */
    static LibTorchBridge get() {
        Torch.ensureThreadReady();
        LibTorchBridge b = instance;
        if (b != null) {
            return b;
        }
        synchronized (LOCK) {
            if (instance != null) {
                return instance;
            }
            if (failure != null) {
                throw new LibTorchException(failure.getMessage(), failure);
            }
            try {
                LibTorchBridge loaded = load();
                loaded.selfTest();
                instance = loaded;
                return loaded;
            } catch (LibTorchException e) {
                failure = e;
                throw e;
            } catch (RuntimeException | LinkageError e) {
                failure = new LibTorchException("Could not load the LibTorch bridge (built for LibTorch " + BUILT_FOR
                        + "; DJL loaded LibTorch " + djlVersion() + " from " + libtorchDir() + "): " + e, e);
                throw failure;
            }
        }
    }

    private static String djlVersion() {
        try {
            return LibUtils.getVersion();
        } catch (RuntimeException | LinkageError e) {
            return "(unknown: " + e + ")";
        }
    }

    private static String libtorchDir() {
        try {
            return LibUtils.getLibtorchPath();
        } catch (RuntimeException | LinkageError e) {
            return "(unknown: " + e + ")";
        }
    }

    private static LibTorchBridge load() {
        String loaded = djlVersion();
        Path lib = Path.of(LibUtils.getLibtorchPath()).resolve(System.mapLibraryName("torch_cpu"));
        NativeLibrary nl = NativeLibrary.getInstance(lib.toString());
        requireSymbols(nl, SYMBOLS, lib, loaded);
        Native.register(C.class, nl);
        long abi = C.aoti_torch_abi_version();
        // Checked before anything goes through the dispatcher: other releases may have other schemas.
        requireAbi(abi, lib, loaded);
        LibTorchBridge bridge = new LibTorchBridge(lib, loaded + " (ABI " + abiToString(abi) + ")");
        try {
            Native.register(Mkldnn.class, nl);
            bridge.mkldnnLinear = true; // until the self-test says otherwise
        } catch (UnsatisfiedLinkError e) {
            bridge.mkldnnLinear = false;
        }
        return bridge;
    }

    /** Fails naming every symbol of {@code symbols} that {@code nl} does not export. */
    static void requireSymbols(NativeLibrary nl, List<String> symbols, Path lib, String loaded) {
        List<String> missing = new ArrayList<>();
        for (String s : symbols) {
            try {
                nl.getFunction(s);
            } catch (UnsatisfiedLinkError e) {
                missing.add(s);
            }
        }
        if (!missing.isEmpty()) {
            throw new LibTorchException("The LibTorch bridge was built for LibTorch " + BUILT_FOR + " but " + lib
                    + " (LibTorch " + loaded + ") does not export " + missing
                    + ". Use ai.djl.pytorch:pytorch-native-cpu:" + BUILT_FOR + " (or point PYTORCH_LIBRARY_PATH /"
                    + " PYTORCH_VERSION at a LibTorch " + BUILT_FOR + ").");
        }
    }

    /** Fails unless {@code abi} (from {@code aoti_torch_abi_version()}) is a {@link #BUILT_FOR} major.minor. */
    static void requireAbi(long abi, Path lib, String loaded) {
        if ((abi & MAJOR_MINOR_MASK) != (BUILT_FOR_ABI & MAJOR_MINOR_MASK)) {
            throw new LibTorchException("The LibTorch bridge was built for LibTorch " + BUILT_FOR + " but " + lib
                    + " is LibTorch " + abiToString(abi) + " (DJL reports " + loaded + "). Its operator schemas and"
                    + " C ABI may differ; use ai.djl.pytorch:pytorch-native-cpu:" + BUILT_FOR + ".");
        }
    }

    static String abiToString(long abi) {
        return (abi >>> 56) + "." + ((abi >>> 48) & 0xFF) + "." + ((abi >>> 40) & 0xFF);
    }

    private static Memory cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        Memory m = new Memory(b.length + 1);
        m.write(0, b, 0, b.length);
        m.setByte(b.length, (byte) 0);
        return m;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Handles and metadata

    /** A new {@code at::Tensor} object sharing {@code handle}'s storage; the caller owns (or hands on) it. */
    long newHandle(long handle) {
        long[] ret = new long[1];
        check(C.aoti_torch_new_tensor_handle(handle, ret), "aoti_torch_new_tensor_handle");
        return ret[0];
    }

    void delete(long handle) {
        if (handle != 0) {
            C.aoti_torch_delete_tensor_object(handle);
        }
    }

    int dtypeCode(DType dtype) {
        return dtypeCodes.get(dtype);
    }

    // The metadata readers below run several times per layer of every decoding step (the fused kernels check each
    // operand): their out-parameters are per-thread scratch arrays, read at once, so that a check allocates nothing
    // (or only the array it returns). A long[1] per call was ~1 KB of Java garbage per layer and step.
    private static final ThreadLocal<long[]> LONG_OUT = ThreadLocal.withInitial(() -> new long[2]);
    private static final ThreadLocal<int[]> INT_OUT = ThreadLocal.withInitial(() -> new int[1]);

    /** The element type LibTorch holds, asked of LibTorch (DJL's getDataType cannot name bfloat16). */
    DType dtype(long handle) {
        int[] ret = INT_OUT.get();
        check(C.aoti_torch_get_dtype(handle, ret), "aoti_torch_get_dtype");
        DType d = dtypesByCode.get(ret[0]);
        if (d == null) {
            throw new IllegalArgumentException("LibTorch dtype code " + ret[0] + " (a c10::ScalarType: complex,"
                    + " float8, unsigned > 8 bit, ...) has no transformers4j DType");
        }
        return d;
    }

    long[] sizes(long handle) {
        return readLongs(handle, true);
    }

    long[] strides(long handle) {
        return readLongs(handle, false);
    }

    private long[] readLongs(long handle, boolean sizes) {
        int dim = dim(handle);
        // A borrowed pointer into the tensor's own metadata: read it now.
        return dim == 0 ? new long[0] : new Pointer(metadataPointer(handle, sizes)).getLongArray(0, dim);
    }

    private int dim(long handle) {
        long[] ret = LONG_OUT.get();
        check(C.aoti_torch_get_dim(handle, ret), "aoti_torch_get_dim");
        return (int) ret[0];
    }

    /** The address of the tensor's sizes (or strides) array, dim() longs; borrowed. */
    private long metadataPointer(long handle, boolean sizes) {
        long[] ret = LONG_OUT.get();
        if (sizes) {
            check(C.aoti_torch_get_sizes(handle, ret), "aoti_torch_get_sizes");
        } else {
            check(C.aoti_torch_get_strides(handle, ret), "aoti_torch_get_strides");
        }
        return ret[0];
    }

    /**
     * Whether the tensor is row-major contiguous, ignoring the strides of size-1 axes (LibTorch leaves them arbitrary
     * in views); its sizes and strides are read in place (no arrays made): the kernels check every operand this way.
     */
    boolean isContiguous(long handle) {
        int dim = dim(handle);
        if (dim == 0) {
            return true;
        }
        Pointer sizes = new Pointer(metadataPointer(handle, true));
        Pointer strides = new Pointer(metadataPointer(handle, false));
        long expected = 1;
        for (int i = dim - 1; i >= 0; i--) {
            long size = sizes.getLong(8L * i);
            if (size != 1 && strides.getLong(8L * i) != expected) {
                return false;
            }
            expected *= size;
        }
        return true;
    }

    long numel(long handle) {
        long[] ret = LONG_OUT.get();
        check(C.aoti_torch_get_numel(handle, ret), "aoti_torch_get_numel");
        return ret[0];
    }

    /** The address of the first element (storage offset included); borrowed, valid while the tensor lives. */
    long dataPtr(long handle) {
        long[] ret = LONG_OUT.get();
        check(C.aoti_torch_get_data_ptr(handle, ret), "aoti_torch_get_data_ptr");
        return ret[0];
    }

    boolean isCpu(long handle) {
        int[] ret = INT_OUT.get();
        check(C.aoti_torch_get_device_type(handle, ret), "aoti_torch_get_device_type");
        return ret[0] == cpuDevice;
    }

    /** A CPU tensor over memory we do not own (no deleter): the caller keeps the memory alive. */
    long fromBlob(long address, long[] shape, DType dtype) {
        long[] strides = contiguousStrides(shape);
        long[] ret = new long[1];
        check(C.aoti_torch_create_tensor_from_blob(address, shape.length, shape, strides, 0, dtypeCode(dtype),
                cpuDevice, 0, ret), "aoti_torch_create_tensor_from_blob");
        return ret[0];
    }

    static long[] contiguousStrides(long[] shape) {
        long[] strides = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            strides[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return strides;
    }

    /** {@code at::empty(shape)}: a new contiguous CPU tensor, uninitialised; the caller owns the handle. */
    long emptyCpu(long[] shape, DType dtype) {
        long[] ret = new long[1];
        check(C.aoti_torch_empty_strided(shape.length, shape, contiguousStrides(shape), dtypeCode(dtype), cpuDevice, 0,
                ret), "aoti_torch_empty_strided");
        return ret[0];
    }

    long scalarTensor(double value) {
        long[] ret = new long[1];
        check(C.aoti_torch_scalar_to_tensor_float64(value, ret), "aoti_torch_scalar_to_tensor_float64");
        return ret[0];
    }

    /** {@code at::convolution}; tensors are borrowed, bias may be 0 (None). */
    long convolution(long input, long weight, long bias, long[] stride, long[] padding, long[] dilation,
            boolean transposed, long[] outputPadding, long groups, Supplier<String> context) {
        long[] ret = new long[1];
        int rc = C.aoti_torch_convolution(input, weight, bias, stride, stride.length, padding, padding.length,
                dilation, dilation.length, transposed ? 1 : 0, outputPadding, outputPadding.length, groups, ret);
        if (rc != 0) {
            throw failed("aoti_torch_convolution (at::convolution, transposed=" + transposed + ")", context);
        }
        return ret[0];
    }

    /** Whether {@link #mkldnnLinear(long, long, long, Supplier)} can run here. */
    boolean hasMkldnnLinear() {
        return mkldnnLinear;
    }

    /** {@code mkldnn::_linear_pointwise(x, w, b, "none", [], None)}; tensors are borrowed, bias may be 0 (None). */
    long mkldnnLinear(long x, long w, long bias, Supplier<String> context) {
        long[] ret = new long[1];
        int rc = Mkldnn.aoti_torch_cpu__linear_pointwise(x, w, bias == 0 ? null : new long[] {bias}, ATTR_NONE,
                null, 0, null, ret);
        if (rc != 0) {
            throw failed("aoti_torch_cpu__linear_pointwise (mkldnn::_linear_pointwise)", context);
        }
        return ret[0];
    }

    // ----------------------------------------------------------------------------------------------------------
    // The dispatcher and its StableIValue arguments

    /** A tensor argument: a fresh handle, since the dispatcher consumes it. */
    long tensorArg(long handle) {
        return newHandle(handle);
    }

    /** A {@code Tensor?} argument: 0 for None, else a boxed fresh handle. */
    long optionalTensorArg(long handleOrZero) {
        return handleOrZero == 0 ? 0 : box(newHandle(handleOrZero));
    }

    static long intArg(long v) {
        return v;
    }

    static long doubleArg(double v) {
        return Double.doubleToRawLongBits(v);
    }

    static long boolArg(boolean v) {
        return v ? 1 : 0;
    }

    /** A {@code float?} argument. */
    long optionalDoubleArg(Double v) {
        return v == null ? 0 : box(Double.doubleToRawLongBits(v));
    }

    long scalarTypeArg(DType dtype) {
        return dtypeCode(dtype);
    }

    long contiguousFormatArg() {
        return contiguousFormat;
    }

    /** A heap StableIValue for an optional's value; the dispatcher deletes it with {@code operator delete}. */
    private static long box(long value) {
        long p = C._Znwm(8);
        new Pointer(p).setLong(0, value);
        return p;
    }

    /**
     * Runs {@code op} on {@code stack} (every schema argument, encoded as above) and returns the new tensor
     * handle it produced. On failure LibTorch has printed its reason to stderr; the tensor arguments have been
     * consumed either way (they are deleted as they are unpacked, before the kernel runs), so nothing is freed here.
     */
    long dispatch(Op op, Supplier<String> context, long... stack) {
        if (stack.length != op.numArgs) {
            throw new IllegalStateException(op.schemaName() + " takes " + op.numArgs + " arguments, got "
                    + stack.length);
        }
        int rc = C.aoti_torch_call_dispatcher(op.cOpName, op.cOverload, stack);
        if (rc != 0) {
            throw failed(op.schemaName(), context);
        }
        return stack[0];
    }

    private static LibTorchException failed(String what, Supplier<String> context) {
        return new LibTorchException("LibTorch " + what + " failed for " + (context == null ? "its arguments"
                : context.get()) + " (LibTorch printed the reason on stderr)");
    }

    private static void check(int rc, String symbol) {
        if (rc != 0) {
            throw new LibTorchException(symbol + " failed (rc=" + rc + "; LibTorch printed the reason on stderr)");
        }
    }

    /** Where LibTorch was loaded from and which release it is, for messages. */
    String describe() {
        return "LibTorch " + loadedVersion + " from " + library;
    }

    // ----------------------------------------------------------------------------------------------------------
    // Self-test: one tiny computation per operator family, on raw handles, checked against values computed here.

    private void selfTest() {
        List<long[]> owned = new ArrayList<>();
        List<Memory> blobs = new ArrayList<>();
        try {
            new SelfTest(owned, blobs).run();
        } finally {
            for (long[] h : owned) {
                delete(h[0]);
            }
            // The blobs back the tensors just deleted.
            Reference.reachabilityFence(blobs);
        }
    }

    private final class SelfTest {
        private final List<long[]> owned;
        private final List<Memory> blobs;
        private String family = "";

        SelfTest(List<long[]> owned, List<Memory> blobs) {
            this.owned = owned;
            this.blobs = blobs;
        }

        private long own(long h) {
            owned.add(new long[] {h});
            return h;
        }

        private long floats(long[] shape, float... values) {
            Memory m = new Memory(4L * values.length);
            m.write(0, values, 0, values.length);
            blobs.add(m);
            long h = own(fromBlob(Pointer.nativeValue(m), shape, DType.F32));
            expect("aoti_torch_create_tensor_from_blob", dataPtr(h) == Pointer.nativeValue(m),
                    "data pointer is not the blob's (not zero-copy)");
            return h;
        }

        private long bools(long[] shape, boolean... values) {
            Memory m = new Memory(values.length);
            for (int i = 0; i < values.length; i++) {
                m.setByte(i, (byte) (values[i] ? 1 : 0));
            }
            blobs.add(m);
            return own(fromBlob(Pointer.nativeValue(m), shape, DType.BOOL));
        }

        private float[] readFloats(long h, String symbol) {
            expect(symbol, dtype(h) == DType.F32, "result dtype " + dtype(h) + ", expected F32");
            long c = own(dispatch(Op.CONTIGUOUS, null, tensorArg(h), contiguousFormatArg()));
            return new Pointer(dataPtr(c)).getFloatArray(0, (int) numel(c));
        }

        private long[] readLongs(long h, String symbol) {
            expect(symbol, dtype(h) == DType.I64, "result dtype " + dtype(h) + ", expected I64");
            long c = own(dispatch(Op.CONTIGUOUS, null, tensorArg(h), contiguousFormatArg()));
            return new Pointer(dataPtr(c)).getLongArray(0, (int) numel(c));
        }

        private void expectClose(String symbol, float[] expected, float[] actual) {
            boolean ok = expected.length == actual.length;
            for (int i = 0; ok && i < expected.length; i++) {
                ok = Math.abs(expected[i] - actual[i]) <= 1e-5f + 1e-5f * Math.abs(expected[i]);
            }
            expect(symbol, ok, "expected " + Arrays.toString(expected) + ", got " + Arrays.toString(actual));
        }

        private void expect(String symbol, boolean ok, String detail) {
            if (!ok) {
                throw new LibTorchException("LibTorch bridge self-test failed in " + family + " (" + symbol + "): "
                        + detail + ". The bridge was built for LibTorch " + BUILT_FOR + "; loaded: " + describe()
                        + ". Use ai.djl.pytorch:pytorch-native-cpu:" + BUILT_FOR + ".");
            }
        }

        private long call(Op op, long... stack) {
            try {
                return own(dispatch(op, null, stack));
            } catch (LibTorchException e) {
                expect(op.schemaName(), false, "the call failed: " + e.getMessage());
                throw e;
            }
        }

        void run() {
            family = "dtype codes";
            expect("aoti_torch_dtype_*", dtypesByCode.size() == DType.values().length,
                    "dtype codes are not distinct: " + dtypeCodes);

            family = "tensors from raw memory";
            long x = floats(new long[] {2, 3}, -2f, -0.5f, 0f, 1f, 1.01171875f, 3f);
            expect("aoti_torch_get_sizes", Arrays.equals(sizes(x), new long[] {2, 3}),
                    "sizes " + Arrays.toString(sizes(x)));
            expect("aoti_torch_get_strides", Arrays.equals(strides(x), new long[] {3, 1}),
                    "strides " + Arrays.toString(strides(x)));
            expect("aoti_torch_get_dtype", dtype(x) == DType.F32, "dtype " + dtype(x));

            family = "contiguous copy";
            // The transpose (3, 2) of x, described by strides only.
            long[] tr = new long[1];
            check(C.aoti_torch_create_tensor_from_blob(dataPtr(x), 2, new long[] {3, 2}, new long[] {1, 3}, 0,
                    dtypeCode(DType.F32), cpuDevice, 0, tr), "aoti_torch_create_tensor_from_blob");
            own(tr[0]);
            expectClose("aten::contiguous", new float[] {-2f, 1f, -0.5f, 1.01171875f, 0f, 3f},
                    readFloats(tr[0], "aten::contiguous"));

            family = "dtype casts";
            long bf = call(Op.TO_DTYPE, tensorArg(x), scalarTypeArg(DType.BF16), boolArg(false), boolArg(false), 0);
            expect("aten::to.dtype", dtype(bf) == DType.BF16, "cast to bfloat16 gave " + dtype(bf));
            long back = call(Op.TO_DTYPE, tensorArg(bf), scalarTypeArg(DType.F32), boolArg(false), boolArg(false), 0);
            // 1.01171875 lies halfway between two bfloat16 values; round-to-nearest-even gives 1.015625.
            expectClose("aten::to.dtype", new float[] {-2f, -0.5f, 0f, 1f, 1.015625f, 3f},
                    readFloats(back, "aten::to.dtype"));
            long i16 = call(Op.TO_DTYPE, tensorArg(x), scalarTypeArg(DType.I16), boolArg(false), boolArg(true), 0);
            expect("aten::to.dtype", dtype(i16) == DType.I16, "cast to int16 gave " + dtype(i16));
            long i64 = call(Op.TO_DTYPE, tensorArg(i16), scalarTypeArg(DType.I64), boolArg(false), boolArg(false), 0);
            expect("aten::to.dtype", Arrays.equals(readLongs(i64, "aten::to.dtype"), new long[] {-2, 0, 0, 1, 1, 3}),
                    "int16 round trip gave " + Arrays.toString(readLongs(i64, "aten::to.dtype")));

            family = "pointwise";
            float[] xs = {-2f, -0.5f, 0f, 1f, 1.01171875f, 3f};
            float[] silu = new float[xs.length];
            for (int i = 0; i < xs.length; i++) {
                silu[i] = (float) (xs[i] / (1 + Math.exp(-xs[i])));
            }
            expectClose("aten::silu", silu, readFloats(call(Op.SILU, tensorArg(x)), "aten::silu"));
            long four = floats(new long[] {2}, 1f, 4f);
            expectClose("aten::rsqrt", new float[] {1f, 0.5f}, readFloats(call(Op.RSQRT, tensorArg(four)),
                    "aten::rsqrt"));
            long mask = bools(new long[] {2, 3}, true, false, false, false, true, false);
            long fill = call(Op.MASKED_FILL, tensorArg(x), tensorArg(mask), tensorArg(own(scalarTensor(7.5))));
            expectClose("aten::masked_fill.Tensor", new float[] {7.5f, -0.5f, 0f, 1f, 7.5f, 3f},
                    readFloats(fill, "aten::masked_fill.Tensor"));

            family = "in-place index copy";
            long target = floats(new long[] {2, 3}, 0, 0, 0, 0, 0, 0);
            long column = call(Op.TO_DTYPE, tensorArg(floats(new long[] {1}, 2f)), scalarTypeArg(DType.I64),
                    boolArg(false), boolArg(false), 0);
            call(Op.INDEX_COPY_, tensorArg(target), intArg(1), tensorArg(column),
                    tensorArg(floats(new long[] {2, 1}, 5f, 6f)));
            expectClose("aten::index_copy_", new float[] {0, 0, 5, 0, 0, 6}, readFloats(target, "aten::index_copy_"));

            family = "triangular masks";
            long ones = floats(new long[] {2, 3}, 1, 1, 1, 1, 1, 1);
            expectClose("aten::tril", new float[] {1, 0, 0, 1, 1, 0},
                    readFloats(call(Op.TRIL, tensorArg(ones), intArg(0)), "aten::tril"));
            expectClose("aten::triu", new float[] {0, 1, 1, 0, 0, 1},
                    readFloats(call(Op.TRIU, tensorArg(ones), intArg(1)), "aten::triu"));

            family = "scaled dot-product attention";
            // One head, two positions, head size 2; causal: position 0 sees only itself.
            long q = floats(new long[] {1, 1, 2, 2}, 1, 0, 0, 1);
            long k = floats(new long[] {1, 1, 2, 2}, 1, 0, 1, 1);
            long v = floats(new long[] {1, 1, 2, 2}, 1, 2, 3, 4);
            double s = 0.5;
            // Row 1: scores (q1.k0, q1.k1) * s = (0, 0.5).
            double w1 = Math.exp(0.5) / (1 + Math.exp(0.5));
            float[] expected = {1, 2, (float) ((1 - w1) * 1 + w1 * 3), (float) ((1 - w1) * 2 + w1 * 4)};
            long att = call(Op.SDPA, tensorArg(q), tensorArg(k), tensorArg(v), optionalTensorArg(0), doubleArg(0),
                    boolArg(true), optionalDoubleArg(s), boolArg(false));
            expectClose("aten::scaled_dot_product_attention", expected,
                    readFloats(att, "aten::scaled_dot_product_attention"));

            family = "group norm";
            long g = floats(new long[] {1, 2, 2}, 1, 3, 5, 9);
            long gw = floats(new long[] {2}, 2, 1);
            long gb = floats(new long[] {2}, 0, 1);
            // Group 0 = channel 0 (1, 3): mean 2, var 1; group 1 = channel 1 (5, 9): mean 7, var 4.
            double e = 1e-5;
            float[] gExpected = {(float) (2 * -1 / Math.sqrt(1 + e)), (float) (2 * 1 / Math.sqrt(1 + e)),
                (float) (-2 / Math.sqrt(4 + e) + 1), (float) (2 / Math.sqrt(4 + e) + 1)};
            long gn = call(Op.GROUP_NORM, tensorArg(g), intArg(2), optionalTensorArg(gw), optionalTensorArg(gb),
                    doubleArg(e), boolArg(false));
            expectClose("aten::group_norm", gExpected, readFloats(gn, "aten::group_norm"));

            family = "transposed convolution";
            long ci = floats(new long[] {1, 1, 2}, 1, 2);
            long cw = floats(new long[] {1, 1, 2}, 1, 10);
            long cb = floats(new long[] {1}, 0.5f);
            long conv = own(convolution(ci, cw, cb, new long[] {2}, new long[] {0}, new long[] {1}, true,
                    new long[] {0}, 1, null));
            // stride 2: [1*1, 1*10, 2*1, 2*10] + 0.5
            expectClose("aoti_torch_convolution", new float[] {1.5f, 10.5f, 2.5f, 20.5f},
                    readFloats(conv, "aoti_torch_convolution"));

            family = "oneDNN linear";
            if (mkldnnLinear) {
                // x (1, 2) @ W^T with W (3, 2), in bfloat16 (the only type the fast path is used for); exact values.
                long lx = call(Op.TO_DTYPE, tensorArg(floats(new long[] {1, 2}, 1, 2)), scalarTypeArg(DType.BF16),
                        boolArg(false), boolArg(false), 0);
                long lw = call(Op.TO_DTYPE, tensorArg(floats(new long[] {3, 2}, 1, 0, 1, 1, -2, 0.5f)),
                        scalarTypeArg(DType.BF16), boolArg(false), boolArg(false), 0);
                long[] ret = new long[1];
                int rc = Mkldnn.aoti_torch_cpu__linear_pointwise(lx, lw, null, ATTR_NONE, null, 0, null, ret);
                if (rc != 0) {
                    // A CPU without bfloat16 instructions: LibTorch refuses; Linear keeps at::linear.
                    mkldnnLinear = false;
                } else {
                    own(ret[0]);
                    long f = call(Op.TO_DTYPE, tensorArg(ret[0]), scalarTypeArg(DType.F32), boolArg(false),
                            boolArg(false), 0);
                    expectClose("aoti_torch_cpu__linear_pointwise", new float[] {1, 3, -1}, readFloats(f,
                            "aoti_torch_cpu__linear_pointwise"));
                }
            }

            family = "sampling";
            long probs = floats(new long[] {4}, 0, 0, 1, 0);
            long draws = call(Op.MULTINOMIAL, tensorArg(probs), intArg(3), boolArg(true), 0);
            expect("aten::multinomial", Arrays.equals(readLongs(draws, "aten::multinomial"), new long[] {2, 2, 2}),
                    "draws " + Arrays.toString(readLongs(draws, "aten::multinomial")) + " from one-hot [0,0,1,0]");
        }
    }
}
