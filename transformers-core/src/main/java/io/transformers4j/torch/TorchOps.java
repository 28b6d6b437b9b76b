package io.transformers4j.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import io.transformers4j.torch.LibTorchBridge.Op;
import io.transformers4j.weights.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * LibTorch operations DJL's NDArray API lacks, run through {@link LibTorchBridge} (LibTorch's exported C
 * functions). Each mirrors one torch function, named in its documentation; arguments keep torch's names and order.
 *
 * <p>Results are new arrays in the FIRST tensor argument's manager (as DJL's own ops do), registered with the
 * current {@link ai.djl.ndarray.NDScope} if any. The first call in the process loads the bridge and runs its
 * self-test ({@link LibTorchException} if the LibTorch build does not match); every call makes the calling thread
 * ready ({@link Torch#ensureThreadReady()}).
 *
 * <p>bfloat16 and int16 arrays are safe to hold, pass to these methods, reshape and close, but DJL's typed API
 * cannot name their element type ({@code getDataType()} answers {@code UNKNOWN} for bfloat16 and creating or
 * casting to it through DJL kills the JVM): ask {@link #dtypeOf(NDArray)} and convert with
 * {@link #toDType(NDArray, DType)} / {@link #toByteBuffer(NDArray)}.
 */
public final class TorchOps {
    private TorchOps() {}

    // ------------------------------------------------------------------------------------------------------------
    // Attention and activations

    /**
     * {@code torch.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask, dropout_p=0.0,
     * is_causal, scale)}: {@code softmax(query @ key^T * scale + mask) @ value}, with LibTorch's fused CPU kernel
     * where it applies.
     *
     * @param query (..., L, E)
     * @param key (..., S, E)
     * @param value (..., S, Ev)
     * @param attnMask null, or broadcastable to (..., L, S): bool (true = may attend, as in torch) or a float mask
     *     of query's dtype that is added to the scores
     * @param isCausal mask out the upper triangle (position i attends to j <= i); not together with attnMask
     * @param scale null for {@code 1 / sqrt(E)}
     * @return (..., L, Ev) in query's manager
     */
    public static NDArray scaledDotProductAttention(NDArray query, NDArray key, NDArray value, NDArray attnMask,
            boolean isCausal, Double scale) {
        LibTorchBridge b = LibTorchBridge.get();
        String fn = "scaledDotProductAttention";
        PtNDArray q = pt(query, fn, "query");
        PtNDArray k = pt(key, fn, "key");
        PtNDArray v = pt(value, fn, "value");
        PtNDArray m = attnMask == null ? null : pt(attnMask, fn, "attnMask");
        long[] qs = b.sizes(q.getHandle());
        long[] ks = b.sizes(k.getHandle());
        long[] vs = b.sizes(v.getHandle());
        if (qs.length < 2 || ks.length != qs.length || vs.length != qs.length) {
            throw new IllegalArgumentException(fn + ": query, key and value must have the same rank >= 2, got "
                    + describe(b, "query", q, "key", k, "value", v));
        }
        int r = qs.length;
        if (qs[r - 1] != ks[r - 1] || ks[r - 2] != vs[r - 2]) {
            throw new IllegalArgumentException(fn + ": query and key need the same head size (last dim) and key and"
                    + " value the same length (dim -2), got " + describe(b, "query", q, "key", k, "value", v));
        }
        DType dt = b.dtype(q.getHandle());
        if (!dt.isFloatingPoint() || b.dtype(k.getHandle()) != dt || b.dtype(v.getHandle()) != dt) {
            throw new IllegalArgumentException(fn + ": query, key and value must share one floating-point dtype, got "
                    + describe(b, "query", q, "key", k, "value", v));
        }
        if (m != null) {
            if (isCausal) {
                throw new IllegalArgumentException(fn + ": pass either attnMask or isCausal=true, not both (as in"
                        + " torch); fold the causal mask into attnMask instead");
            }
            DType md = b.dtype(m.getHandle());
            if (md != DType.BOOL && md != dt) {
                throw new IllegalArgumentException(fn + ": attnMask must be bool or " + dt + " like query, got " + md);
            }
        }
        if (scale != null && !Double.isFinite(scale)) {
            throw new IllegalArgumentException(fn + ": scale must be finite or null, got " + scale);
        }
        long h = b.dispatch(Op.SDPA, () -> describe(b, "query", q, "key", k, "value", v, "attnMask", m),
                b.tensorArg(q.getHandle()), b.tensorArg(k.getHandle()), b.tensorArg(v.getHandle()),
                b.optionalTensorArg(m == null ? 0 : m.getHandle()), LibTorchBridge.doubleArg(0.0),
                LibTorchBridge.boolArg(isCausal), b.optionalDoubleArg(scale), LibTorchBridge.boolArg(false));
        return wrap(b, q, h);
    }

    /**
     * {@code torch.ops.mkldnn._linear_pointwise(x, weight, bias, "none", [], None)}: {@code x @ weight^T + bias}
     * through oneDNN's matmul, the kernel {@code torch.nn.functional.linear} itself uses for bfloat16 on CPU, called
     * directly. For a bfloat16 weight and no bias it gives the same bits as {@code linear} (same oneDNN primitive,
     * checked for 1 to 512 rows), at a fraction of the per-call cost: {@code linear} folds the batch dims and goes
     * through addmm, which for one row (decoding) spends more than the matrix read itself.
     *
     * @param x (..., in_features)
     * @param weight (out_features, in_features), same dtype as x
     * @param bias (out_features) or null
     * @return (..., out_features) in x's manager
     * @throws UnsupportedOperationException if this LibTorch or CPU has no oneDNN path
     *     ({@link #hasMkldnnLinear()} is false)
     */
    public static NDArray mkldnnLinear(NDArray x, NDArray weight, NDArray bias) {
        LibTorchBridge b = LibTorchBridge.get();
        String fn = "mkldnnLinear";
        if (!b.hasMkldnnLinear()) {
            throw new UnsupportedOperationException(fn + ": this LibTorch build or CPU has no oneDNN linear ("
                    + b.describe() + "); use ai.djl.nn.core.Linear.linear");
        }
        PtNDArray p = pt(x, fn, "x");
        PtNDArray w = pt(weight, fn, "weight");
        PtNDArray bi = bias == null ? null : pt(bias, fn, "bias");
        // DJL keeps the shapes on the Java side: cheaper than asking LibTorch on a call made per layer per token
        long[] xs = p.getShape().getShape();
        long[] ws = w.getShape().getShape();
        if (xs.length < 1 || ws.length != 2 || xs[xs.length - 1] != ws[1]) {
            throw new IllegalArgumentException(fn + ": x must be (..., in_features) and weight (out_features,"
                    + " in_features), got " + describe(b, "x", p, "weight", w));
        }
        DType dt = b.dtype(p.getHandle());
        if (!dt.isFloatingPoint() || b.dtype(w.getHandle()) != dt) {
            throw new IllegalArgumentException(fn + ": x and weight must share one floating-point dtype, got "
                    + describe(b, "x", p, "weight", w));
        }
        requireChannels(b, bi, ws[0], fn, "bias");
        long h = b.mkldnnLinear(p.getHandle(), w.getHandle(), bi == null ? 0 : bi.getHandle(),
                () -> describe(b, "x", p, "weight", w, "bias", bi));
        return wrap(b, p, h);
    }

    /** Whether {@link #mkldnnLinear} runs here: LibTorch built with oneDNN on a CPU with bfloat16 support. */
    public static boolean hasMkldnnLinear() {
        return LibTorchBridge.get().hasMkldnnLinear();
    }

    /**
     * {@code self.index_copy_(dim, index, source)} in place: {@code self[..., index[i], ...] = source[..., i, ...]}
     * along {@code dim}, one LibTorch call (Python's static cache writes {@code k_out[:, :, cache_position] = ...}).
     *
     * @param index int64, 1-D, one position per slice of source along dim
     * @param source self's shape except along dim, where it has index's length; self's dtype
     */
    public static void indexCopy(NDArray self, int dim, NDArray index, NDArray source) {
        LibTorchBridge b = LibTorchBridge.get();
        PtNDArray s = pt(self, "indexCopy", "self");
        PtNDArray i = pt(index, "indexCopy", "index");
        PtNDArray src = pt(source, "indexCopy", "source");
        if (b.dtype(i.getHandle()) != DType.I64 || b.sizes(i.getHandle()).length != 1) {
            throw new IllegalArgumentException("indexCopy: index must be 1-D int64, got " + describe(b, "index", i));
        }
        long h = b.dispatch(Op.INDEX_COPY_, () -> describe(b, "self", s, "index", i, "source", src) + ", dim=" + dim,
                b.tensorArg(s.getHandle()), LibTorchBridge.intArg(dim), b.tensorArg(i.getHandle()),
                b.tensorArg(src.getHandle()));
        b.delete(h); // the op returns self: a second handle on the same tensor
    }

    /**
     * Python's {@code apply_rotary_pos_emb} for one tensor in one native call (where {@link Bf16Gemv#isAvailable()}):
     * {@code x * cos + rotate_half(x) * sin}, each product and the sum rounded to x's dtype as LibTorch's ops round
     * them, so the result is the op-by-op one to the bit. A decoding step applies it twice per layer, each six small
     * LibTorch ops.
     *
     * @param x (batch, heads, seq, dim), float32 or bfloat16, any strides (e.g. a transposed projection)
     * @param cos (batch or 1, 1 or heads, seq, dim) of x's dtype
     * @param sin as cos
     * @return a new contiguous (batch, heads, seq, dim) array in x's manager; null when the kernel does not take these
     *     arguments, for the caller to compute op by op
     */
    public static NDArray fusedRotary(NDArray x, NDArray cos, NDArray sin) {
        NativeKernels.Operands ops = NativeKernels.operands(x, cos, sin);
        if (ops == null) {
            return null;
        }
        LibTorchBridge b = LibTorchBridge.get();
        long hx = ops.handles()[0];
        long hc = ops.handles()[1];
        long hs = ops.handles()[2];
        long[] xs = b.sizes(hx);
        long[] cs = b.sizes(hc);
        long[] ss = b.sizes(hs);
        if (xs.length != 4 || xs[3] % 2 != 0 || !broadcastsTo(cs, xs) || !broadcastsTo(ss, xs)) {
            return null;
        }
        long[] strides = new long[12];
        long[][] all = {b.strides(hx), b.strides(hc), b.strides(hs)};
        long[][] sizes = {xs, cs, ss};
        for (int t = 0; t < 3; t++) {
            for (int d = 0; d < 4; d++) {
                strides[t * 4 + d] = sizes[t][d] == 1 ? 0 : all[t][d];
            }
        }
        return NativeKernels.intoNewTensor(b, ((PtNDArray) x).getManager(), xs, ops.dtype(),
                out -> NativeKernels.C.t4j_rotary(ops.dtypeCode(), b.dataPtr(hx), b.dataPtr(hc), b.dataPtr(hs), out,
                        xs[0], xs[1], xs[2], xs[3], strides));
    }

    /** Whether a table of shape {@code t} broadcasts to {@code x} (4-D, each axis equal or 1; the last equal). */
    private static boolean broadcastsTo(long[] t, long[] x) {
        if (t.length != 4 || t[3] != x[3]) {
            return false;
        }
        for (int d = 0; d < 3; d++) {
            if (t[d] != x[d] && t[d] != 1) {
                return false;
            }
        }
        return true;
    }

    /**
     * Python's LlamaRMSNorm in one native call ({@code libt4jkernels}, where {@link Bf16Gemv#isAvailable()}):
     * {@code weight * (x.float() * rsqrt(mean(x.float()^2, -1) + eps)).to(x.dtype)}, float32 statistics and the same
     * two roundings as the op-by-op form; the mean of squares is summed in another order than LibTorch's, so a result
     * can differ from it by a rounding. Decoding runs two norms per layer per token, each eight small LibTorch ops.
     *
     * @param x (..., n) contiguous, float32 or bfloat16
     * @param weight (n), of x's dtype
     * @return a new array of x's shape and dtype in x's manager; null when the kernel does not take these arguments
     *     (unavailable, another dtype or device, not contiguous), for the caller to compute op by op
     */
    public static NDArray fusedRmsNorm(NDArray x, NDArray weight, float eps) {
        NativeKernels.Operands ops = NativeKernels.operands(x, weight);
        if (ops == null) {
            return null;
        }
        LibTorchBridge b = LibTorchBridge.get();
        long hx = ops.handles()[0];
        long hw = ops.handles()[1];
        long[] xs = b.sizes(hx);
        long[] ws = b.sizes(hw);
        if (xs.length == 0 || ws.length != 1 || ws[0] != xs[xs.length - 1] || b.strides(hw)[0] != 1
                || !b.isContiguous(hx)) {
            return null;
        }
        long n = xs[xs.length - 1];
        long rows = n == 0 ? 0 : b.numel(hx) / n;
        return NativeKernels.intoNewTensor(b, ((PtNDArray) x).getManager(), xs, ops.dtype(),
                out -> NativeKernels.C.t4j_rms_norm(ops.dtypeCode(), b.dataPtr(hx), b.dataPtr(hw), out, rows, n, eps));
    }

    /** {@code torch.nn.functional.silu(x)} = {@code x * sigmoid(x)} (also called swish). */
    public static NDArray silu(NDArray x) {
        return unaryFloat(Op.SILU, "silu", x);
    }

    /** {@code torch.rsqrt(x)} = {@code 1 / sqrt(x)}. */
    public static NDArray rsqrt(NDArray x) {
        return unaryFloat(Op.RSQRT, "rsqrt", x);
    }

    private static NDArray unaryFloat(Op op, String fn, NDArray x) {
        LibTorchBridge b = LibTorchBridge.get();
        PtNDArray p = pt(x, fn, "x");
        requireFloat(b, p, fn, "x");
        long h = b.dispatch(op, () -> describe(b, "x", p), b.tensorArg(p.getHandle()));
        return wrap(b, p, h);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Masks

    /**
     * {@code torch.tril(x, diagonal)}: keeps the elements on and below the {@code diagonal}-th diagonal of the last
     * two dims (0 = main, positive = above it) and zeroes the rest.
     */
    public static NDArray tril(NDArray x, long diagonal) {
        return triangle(Op.TRIL, "tril", x, diagonal);
    }

    /** {@code torch.triu(x, diagonal)}: keeps the elements on and above the {@code diagonal}-th diagonal. */
    public static NDArray triu(NDArray x, long diagonal) {
        return triangle(Op.TRIU, "triu", x, diagonal);
    }

    private static NDArray triangle(Op op, String fn, NDArray x, long diagonal) {
        LibTorchBridge b = LibTorchBridge.get();
        PtNDArray p = pt(x, fn, "x");
        if (b.sizes(p.getHandle()).length < 2) {
            throw new IllegalArgumentException(fn + ": x must have at least 2 dims, got " + describe(b, "x", p));
        }
        long h = b.dispatch(op, () -> describe(b, "x", p) + ", diagonal=" + diagonal, b.tensorArg(p.getHandle()),
                LibTorchBridge.intArg(diagonal));
        return wrap(b, p, h);
    }

    /**
     * {@code x.masked_fill(mask, value)}: a copy of {@code x} with {@code value} where the bool {@code mask}
     * (broadcast to x's shape) is true. Use {@code Float.NEGATIVE_INFINITY} or the dtype's minimum for attention.
     */
    public static NDArray maskedFill(NDArray x, NDArray mask, double value) {
        LibTorchBridge b = LibTorchBridge.get();
        String fn = "maskedFill";
        PtNDArray p = pt(x, fn, "x");
        PtNDArray m = pt(mask, fn, "mask");
        if (b.dtype(m.getHandle()) != DType.BOOL) {
            throw new IllegalArgumentException(fn + ": mask must be bool, got " + describe(b, "mask", m));
        }
        // masked_fill.Tensor: the value travels as a 0-dim float64 tensor, which the call consumes.
        long h = b.dispatch(Op.MASKED_FILL, () -> describe(b, "x", p, "mask", m) + ", value=" + value,
                b.tensorArg(p.getHandle()), b.tensorArg(m.getHandle()), b.scalarTensor(value));
        return wrap(b, p, h);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Sampling

    /**
     * {@code torch.multinomial(probs, num_samples, replacement)}: draws category indices (int64) with probability
     * proportional to each row of {@code probs} (1-D, or 2-D for one draw set per row), from torch's global CPU
     * generator; seed it with {@link #manualSeed(long)}.
     *
     * @param probs (C) or (N, C), non-negative, floating point, rows need not sum to 1
     * @return (numSamples) or (N, numSamples), int64
     */
    public static NDArray multinomial(NDArray probs, long numSamples, boolean replacement) {
        LibTorchBridge b = LibTorchBridge.get();
        String fn = "multinomial";
        PtNDArray p = pt(probs, fn, "probs");
        long[] s = b.sizes(p.getHandle());
        if (s.length < 1 || s.length > 2) {
            throw new IllegalArgumentException(fn + ": probs must be 1-D or 2-D, got " + describe(b, "probs", p));
        }
        requireFloat(b, p, fn, "probs");
        if (numSamples < 1 || (!replacement && numSamples > s[s.length - 1])) {
            throw new IllegalArgumentException(fn + ": numSamples must be >= 1" + (replacement ? ""
                    : " and <= the number of categories (" + s[s.length - 1] + ") without replacement")
                    + ", got " + numSamples);
        }
        long h = b.dispatch(Op.MULTINOMIAL, () -> describe(b, "probs", p) + ", numSamples=" + numSamples
                + " (rows must be non-negative, finite and not all zero)", b.tensorArg(p.getHandle()),
                LibTorchBridge.intArg(numSamples), LibTorchBridge.boolArg(replacement), 0L);
        return wrap(b, p, h);
    }

    /**
     * {@code torch.manual_seed(seed)}: seeds LibTorch's global CPU generator, which {@link #multinomial} and DJL's
     * random ops draw from, so the same seed gives the same draws. (DJL's {@code Engine.setRandomSeed} does the same
     * but takes an int.)
     */
    public static void manualSeed(long seed) {
        Torch.ensureThreadReady();
        JniUtils.setSeed(seed);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Normalisation and convolution

    /**
     * {@code torch.nn.functional.group_norm(x, num_groups, weight, bias, eps)}: normalises each of
     * {@code numGroups} channel groups per sample over (channels in group, spatial dims), biased variance, then
     * scales and shifts per channel.
     *
     * @param x (N, C, *) with C divisible by numGroups
     * @param weight null or (C)
     * @param bias null or (C)
     */
    public static NDArray groupNorm(NDArray x, int numGroups, NDArray weight, NDArray bias, double eps) {
        LibTorchBridge b = LibTorchBridge.get();
        String fn = "groupNorm";
        PtNDArray p = pt(x, fn, "x");
        PtNDArray w = weight == null ? null : pt(weight, fn, "weight");
        PtNDArray bi = bias == null ? null : pt(bias, fn, "bias");
        long[] s = b.sizes(p.getHandle());
        if (s.length < 2) {
            throw new IllegalArgumentException(fn + ": x must be (N, C, *), got " + describe(b, "x", p));
        }
        if (numGroups < 1 || s[1] % numGroups != 0) {
            throw new IllegalArgumentException(fn + ": numGroups must divide the " + s[1] + " channels of x, got "
                    + numGroups);
        }
        requireFloat(b, p, fn, "x");
        requireChannels(b, w, s[1], fn, "weight");
        requireChannels(b, bi, s[1], fn, "bias");
        long h = b.dispatch(Op.GROUP_NORM, () -> describe(b, "x", p, "weight", w, "bias", bi)
                + ", numGroups=" + numGroups, b.tensorArg(p.getHandle()), LibTorchBridge.intArg(numGroups),
                b.optionalTensorArg(w == null ? 0 : w.getHandle()), b.optionalTensorArg(bi == null ? 0
                        : bi.getHandle()), LibTorchBridge.doubleArg(eps), LibTorchBridge.boolArg(false));
        return wrap(b, p, h);
    }

    /**
     * {@code torch.nn.functional.conv_transpose1d(x, weight, bias, stride, padding, output_padding, groups,
     * dilation)}. Output length: {@code (L - 1) * stride - 2 * padding + dilation * (K - 1) + outputPadding + 1}.
     *
     * @param x (N, Cin, L)
     * @param weight (Cin, Cout / groups, K), PyTorch's ConvTranspose1d layout
     * @param bias null or (Cout)
     */
    public static NDArray convTranspose1d(NDArray x, NDArray weight, NDArray bias, long stride, long padding,
            long outputPadding, long groups, long dilation) {
        return convTranspose("convTranspose1d", 1, x, weight, bias, new long[] {stride}, new long[] {padding},
                new long[] {outputPadding}, groups, new long[] {dilation});
    }

    /**
     * {@code torch.nn.functional.conv_transpose2d(x, weight, bias, stride, padding, output_padding, groups,
     * dilation)}; each of stride, padding, outputPadding and dilation is (height, width).
     *
     * @param x (N, Cin, H, W)
     * @param weight (Cin, Cout / groups, kH, kW)
     * @param bias null or (Cout)
     */
    public static NDArray convTranspose2d(NDArray x, NDArray weight, NDArray bias, long[] stride, long[] padding,
            long[] outputPadding, long groups, long[] dilation) {
        return convTranspose("convTranspose2d", 2, x, weight, bias, stride, padding, outputPadding, groups, dilation);
    }

    private static NDArray convTranspose(String fn, int dims, NDArray x, NDArray weight, NDArray bias, long[] stride,
            long[] padding, long[] outputPadding, long groups, long[] dilation) {
        LibTorchBridge b = LibTorchBridge.get();
        PtNDArray p = pt(x, fn, "x");
        PtNDArray w = pt(weight, fn, "weight");
        PtNDArray bi = bias == null ? null : pt(bias, fn, "bias");
        long[] xs = b.sizes(p.getHandle());
        long[] ws = b.sizes(w.getHandle());
        if (xs.length != dims + 2 || ws.length != dims + 2) {
            throw new IllegalArgumentException(fn + ": x must be (N, Cin, " + (dims == 1 ? "L" : "H, W")
                    + ") and weight (Cin, Cout / groups, " + (dims == 1 ? "K" : "kH, kW") + "), got "
                    + describe(b, "x", p, "weight", w));
        }
        if (groups < 1 || xs[1] != ws[0] || xs[1] % groups != 0) {
            throw new IllegalArgumentException(fn + ": x's channels must equal weight's dim 0 and be divisible by"
                    + " groups=" + groups + ", got " + describe(b, "x", p, "weight", w));
        }
        requireFloat(b, p, fn, "x");
        requireChannels(b, bi, ws[1] * groups, fn, "bias");
        String[] names = {"stride", "padding", "outputPadding", "dilation"};
        long[][] params = {stride, padding, outputPadding, dilation};
        for (int i = 0; i < params.length; i++) {
            if (params[i] == null || params[i].length != dims) {
                throw new IllegalArgumentException(fn + ": " + names[i] + " needs " + dims + " value(s), got "
                        + (params[i] == null ? "null" : Arrays.toString(params[i])));
            }
        }
        for (int d = 0; d < dims; d++) {
            if (stride[d] < 1 || dilation[d] < 1 || padding[d] < 0 || outputPadding[d] < 0
                    || outputPadding[d] >= Math.max(stride[d], dilation[d])) {
                throw new IllegalArgumentException(fn + ": need stride >= 1, dilation >= 1, padding >= 0 and"
                        + " 0 <= outputPadding < max(stride, dilation) (as torch), got stride="
                        + Arrays.toString(stride) + " padding=" + Arrays.toString(padding) + " outputPadding="
                        + Arrays.toString(outputPadding) + " dilation=" + Arrays.toString(dilation));
            }
        }
        long h = b.convolution(p.getHandle(), w.getHandle(), bi == null ? 0 : bi.getHandle(), stride.clone(),
                padding.clone(), dilation.clone(), true, outputPadding.clone(), groups,
                () -> describe(b, "x", p, "weight", w, "bias", bi));
        return wrap(b, p, h);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Dtypes and raw memory

    /**
     * {@code x.to(dtype, copy=True)}: a new array of {@code dtype} (always a copy, like DJL's
     * {@code toType(type, true)}), for every {@link DType} including BF16 and I16 in both directions. Floating to
     * bfloat16/float16 rounds to nearest even; floating to integer truncates toward zero, as torch does.
     */
    public static NDArray toDType(NDArray x, DType dtype) {
        Objects.requireNonNull(dtype, "dtype");
        LibTorchBridge b = LibTorchBridge.get();
        PtNDArray p = pt(x, "toDType", "x");
        long h = b.dispatch(Op.TO_DTYPE, () -> describe(b, "x", p) + " to " + dtype, b.tensorArg(p.getHandle()),
                b.scalarTypeArg(dtype), LibTorchBridge.boolArg(false), LibTorchBridge.boolArg(true), 0L);
        return wrap(b, p, h);
    }

    /**
     * {@code x.dtype}, asked of LibTorch: unlike DJL's {@code getDataType()} it names bfloat16 and int16.
     *
     * @throws IllegalArgumentException for element types with no {@link DType} (complex, float8, ...)
     */
    public static DType dtypeOf(NDArray x) {
        LibTorchBridge b = LibTorchBridge.get();
        return b.dtype(pt(x, "dtypeOf", "x").getHandle());
    }

    /**
     * {@code torch.frombuffer}: a tensor over {@code buffer}'s bytes from its position on, without copying: writes
     * to the buffer show in the tensor and in-place ops on the tensor write to the buffer (never run one on a
     * READ_ONLY memory map: the process dies). Bytes are read in the platform's order (little-endian), whatever
     * {@code buffer.order()} says. The array keeps {@code buffer} reachable while it is open; views made from it
     * (reshape, slices) share the memory but not that reference, so keep the array or the buffer open while they
     * live.
     *
     * @param buffer a direct buffer (e.g. a MappedByteBuffer) with at least numel * dtype.byteSize() bytes remaining
     * @param manager the PyTorch-engine manager that will own the array
     */
    public static NDArray fromBlob(ByteBuffer buffer, long[] shape, DType dtype, NDManager manager) {
        Objects.requireNonNull(buffer, "buffer");
        if (!buffer.isDirect()) {
            throw new IllegalArgumentException("fromBlob: buffer must be direct (ByteBuffer.allocateDirect or a"
                    + " memory map); a heap buffer can move in memory");
        }
        long bytes = checkedBytes("fromBlob", shape, dtype);
        if (buffer.remaining() < bytes) {
            throw new IllegalArgumentException("fromBlob: shape " + Arrays.toString(shape) + " of " + dtype
                    + " needs " + bytes + " bytes but the buffer has " + buffer.remaining() + " remaining");
        }
        PtNDManager m = ptManager(manager, "fromBlob");
        LibTorchBridge b = LibTorchBridge.get();
        long address = Pointer.nativeValue(Native.getDirectBufferPointer(buffer)) + buffer.position();
        long h = b.fromBlob(address, shape.clone(), dtype);
        try {
            return new PtNDArray(m, h, buffer);
        } catch (RuntimeException e) {
            b.delete(h);
            throw e;
        }
    }

    /**
     * Like {@link #fromBlob} for memory given by address, for mappings over 2 GB that no ByteBuffer can span.
     * The array holds {@code keepAlive} (e.g. the memory segment or mapping that owns {@code address}) until it is
     * closed; the memory must stay valid that long, and as long as any view made from the array.
     */
    public static NDArray fromAddress(long address, long[] shape, DType dtype, NDManager manager, Object keepAlive) {
        if (address == 0) {
            throw new IllegalArgumentException("fromAddress: address is null");
        }
        checkedBytes("fromAddress", shape, dtype);
        PtNDManager m = ptManager(manager, "fromAddress");
        LibTorchBridge b = LibTorchBridge.get();
        long h = b.fromBlob(address, shape.clone(), dtype);
        try {
            return new PinnedNDArray(m, h, keepAlive);
        } catch (RuntimeException e) {
            b.delete(h);
            throw e;
        }
    }

    /**
     * The elements of {@code x} as raw little-endian bytes in row-major (contiguous) order, in a new direct buffer
     * ordered LITTLE_ENDIAN: works for every {@link DType} including bfloat16, so a writer can save any tensor.
     *
     * @throws IllegalArgumentException if x is not on the CPU or holds 2 GB or more
     */
    public static ByteBuffer toByteBuffer(NDArray x) {
        requireLittleEndian();
        LibTorchBridge b = LibTorchBridge.get();
        PtNDArray p = pt(x, "toByteBuffer", "x");
        if (!b.isCpu(p.getHandle())) {
            throw new IllegalArgumentException("toByteBuffer: x must be on the CPU, got " + x.getDevice());
        }
        DType dt = b.dtype(p.getHandle());
        long bytes = b.numel(p.getHandle()) * dt.byteSize();
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("toByteBuffer: " + describe(b, "x", p) + " holds " + bytes
                    + " bytes, over what one ByteBuffer can hold; write it in slices");
        }
        // aten::contiguous returns x itself (a new handle on the same storage) when x is already contiguous.
        long c = b.dispatch(Op.CONTIGUOUS, () -> describe(b, "x", p), b.tensorArg(p.getHandle()),
                b.contiguousFormatArg());
        try {
            ByteBuffer out = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
            if (bytes > 0) {
                out.put(new Pointer(b.dataPtr(c)).getByteBuffer(0, bytes));
            }
            return out.rewind();
        } finally {
            b.delete(c);
        }
    }

    // ------------------------------------------------------------------------------------------------------------
    // Helpers

    /** A PtNDArray that also holds the owner of the memory it was made over. */
    private static final class PinnedNDArray extends PtNDArray {
        @SuppressWarnings({"unused", "FieldCanBeLocal"})
        private final Object keepAlive;

        PinnedNDArray(PtNDManager manager, long handle, Object keepAlive) {
            super(manager, handle);
            this.keepAlive = keepAlive;
        }
    }

    private static PtNDArray pt(NDArray x, String fn, String arg) {
        if (x == null) {
            throw new NullPointerException(fn + ": " + arg + " is null");
        }
        if (!(x instanceof PtNDArray)) {
            throw new IllegalArgumentException(fn + ": " + arg + " must be a PyTorch-engine NDArray, got "
                    + x.getClass().getName() + " (engine " + x.getManager().getEngine().getEngineName() + ")");
        }
        PtNDArray p = (PtNDArray) x;
        Long h = p.getHandle();
        if (h == null) {
            throw new IllegalStateException(fn + ": " + arg + " is closed");
        }
        return p;
    }

    private static PtNDManager ptManager(NDManager manager, String fn) {
        Objects.requireNonNull(manager, "manager");
        if (!(manager instanceof PtNDManager)) {
            throw new IllegalArgumentException(fn + ": manager must be a PyTorch-engine NDManager, got "
                    + manager.getClass().getName());
        }
        return (PtNDManager) manager;
    }

    /** The result of a bridge call as an array of {@code first}'s manager; the handle is freed if wrapping fails. */
    private static NDArray wrap(LibTorchBridge b, PtNDArray first, long handle) {
        try {
            return new PtNDArray(first.getManager(), handle);
        } catch (RuntimeException e) {
            b.delete(handle);
            throw e;
        }
    }

    private static void requireFloat(LibTorchBridge b, PtNDArray x, String fn, String arg) {
        DType d = b.dtype(x.getHandle());
        if (!d.isFloatingPoint()) {
            throw new IllegalArgumentException(fn + ": " + arg + " must be floating point, got " + d
                    + "; convert with TorchOps.toDType first");
        }
    }

    private static void requireChannels(LibTorchBridge b, PtNDArray t, long channels, String fn, String arg) {
        if (t != null) {
            long[] s = b.sizes(t.getHandle());
            if (s.length != 1 || s[0] != channels) {
                throw new IllegalArgumentException(fn + ": " + arg + " must be (" + channels + "), got "
                        + Arrays.toString(s));
            }
        }
    }

    private static long checkedBytes(String fn, long[] shape, DType dtype) {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        requireLittleEndian();
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException(fn + ": negative dim in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return Math.multiplyExact(n, (long) dtype.byteSize());
    }

    private static void requireLittleEndian() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            throw new UnsupportedOperationException("raw tensor memory is handled as little-endian; this platform is "
                    + ByteOrder.nativeOrder());
        }
    }

    /** "name (shape) dtype" for each (name, array) pair, asked of LibTorch so bfloat16 arrays describe safely. */
    private static String describe(LibTorchBridge b, Object... namesAndArrays) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < namesAndArrays.length; i += 2) {
            PtNDArray a = (PtNDArray) namesAndArrays[i + 1];
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(namesAndArrays[i]).append(' ');
            if (a == null) {
                sb.append("None");
            } else {
                String dt;
                try {
                    dt = b.dtype(a.getHandle()).toString();
                } catch (IllegalArgumentException e) {
                    dt = "(unsupported dtype)";
                }
                sb.append(Arrays.toString(b.sizes(a.getHandle())).replace('[', '(').replace(']', ')')).append(' ')
                        .append(dt);
            }
        }
        return sb.toString();
    }
}
