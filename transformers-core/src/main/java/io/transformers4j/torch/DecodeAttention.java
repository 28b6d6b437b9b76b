package io.transformers4j.torch;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;

/**
 * Scaled-dot-product attention for a few query rows per head (a decoding step: one new token, or the query heads of
 * one key/value group) by transformers4j's native kernel: {@code softmax(q k^T / sqrt(head_dim) + mask) v}.
 * LibTorch's fused CPU kernel is built for blocks of many queries; for a handful of rows against hundreds of cached
 * keys its set-up dominates. Measured in the 156M-parameter decode benchmark (bfloat16, 512-token prompt): attention's
 * share of a decoding step's time fell from 7.9% to 4.7% on one thread and from 11.9% to 7.9% on two (JFR samples;
 * about 1 ms per token). The kernel does the same arithmetic (float32
 * scores and sums; for bfloat16, the exponentials rounded to bfloat16 before they weight the values, as LibTorch's
 * kernel and Python's eager attention do), so results agree with LibTorch's to float rounding.
 *
 * <p>Runs where {@link Bf16Gemv#isAvailable()} (the same library); float32 and bfloat16 only.
 */
public final class DecodeAttention {
    private DecodeAttention() {}

    /** The kernel keeps each head's query rows in registers: at most this many rows and this head size. */
    private static final long MAX_ROWS = 16;
    private static final long MAX_HEAD_DIM = 512;

    /**
     * @param query (batch, heads, rows, head_dim), rows at most 16, head_dim a multiple of 16 up to 512
     * @param key (batch, heads, keys, head_dim); a view (e.g. the written prefix of a static cache) is fine as long
     *     as head_dim is contiguous
     * @param value as key
     * @param mask additive, (batch or 1, 1, 1, keys), of query's dtype, or null
     * @return (batch, heads, rows, head_dim) of query's dtype in query's manager; null when the kernel does not take
     *     these arguments (unavailable, another dtype or layout, a row with every key masked), for the caller to use
     *     LibTorch
     */
    public static NDArray attention(NDArray query, NDArray key, NDArray value, NDArray mask) {
        if (query == null || key == null || value == null) {
            return null;
        }
        NativeKernels.Operands ops = NativeKernels.operands(query, key, value, mask);
        if (ops == null) {
            return null;
        }
        LibTorchBridge b = LibTorchBridge.get();
        long q = ops.handles()[0];
        long k = ops.handles()[1];
        long v = ops.handles()[2];
        long m = ops.handles()[3];
        long[] qs = b.sizes(q);
        long[] ks = b.sizes(k);
        long[] vs = b.sizes(v);
        if (qs.length != 4 || ks.length != 4 || vs.length != 4) {
            return null;
        }
        long batch = qs[0];
        long heads = qs[1];
        long rows = qs[2];
        long dim = qs[3];
        long keys = ks[2];
        if (rows < 1 || rows > MAX_ROWS || dim < 16 || dim > MAX_HEAD_DIM || dim % 16 != 0 || keys < 1
                || ks[0] != batch || ks[1] != heads || ks[3] != dim || vs[0] != batch || vs[1] != heads
                || vs[2] != keys || vs[3] != dim) {
            return null;
        }
        long[] qst = b.strides(q);
        long[] kst = b.strides(k);
        long[] vst = b.strides(v);
        long maskBatchStride = 0;
        if (m != 0) {
            long[] ms = b.sizes(m);
            if (ms.length != 4 || (ms[0] != 1 && ms[0] != batch) || ms[1] != 1 || ms[2] != 1 || ms[3] != keys) {
                return null;
            }
            long[] mst = b.strides(m);
            if (mst[3] != 1) {
                return null;
            }
            maskBatchStride = ms[0] == 1 ? 0 : mst[0];
        }
        if (qst[3] != 1 || kst[3] != 1 || vst[3] != 1) {
            return null;
        }
        long[] strides = {qst[0], qst[1], qst[2], kst[0], kst[1], kst[2], vst[0], vst[1], vst[2],
                maskBatchStride, heads * rows * dim, rows * dim, dim};
        long maskAddress = m == 0 ? 0 : b.dataPtr(m);
        return NativeKernels.intoNewTensor(b, ((PtNDArray) query).getManager(), new long[] {batch, heads, rows, dim},
                ops.dtype(), out -> NativeKernels.C.t4j_attention_decode(ops.dtypeCode(), b.dataPtr(q),
                        b.dataPtr(k), b.dataPtr(v), maskAddress, out, batch, heads, rows, keys, dim, strides,
                        (float) (1.0 / Math.sqrt(dim)), Torch.numThreads()));
    }
}
