package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;

/**
 * The rotary position embedding (RoPE) arithmetic the Llama family shares: Python's {@code inv_freq} buffer,
 * the cos/sin tables, {@code rotate_half} and {@code apply_rotary_pos_emb}. Each model keeps its own
 * {@code XRotaryEmbedding} class for how it picks positions and scaling; this class only does the math.
 *
 * <p>Python caches cos/sin for positions 0..max_position_embeddings and indexes the cache with position_ids (Mistral,
 * Persimmon), or multiplies inv_freq by the position ids on every call (Llama in 4.39). Both compute the same float32
 * products {@code position * inv_freq} and their cos/sin, so here the tables are always computed for the positions at
 * hand: no cache to grow, no state.
 */
public final class RotaryEmbedding {
    private RotaryEmbedding() {}

    /**
     * {@code 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))}, evaluated with LibTorch's float32 kernels like
     * Python's buffer (base is rounded to float32 first, as torch does with a Python scalar).
     *
     * @return dim / 2 inverse frequencies
     */
    public static float[] invFreq(int dim, double base) {
        if (dim <= 0 || dim % 2 != 0) {
            throw new IllegalArgumentException("The rotary dimension must be a positive even number, got " + dim
                    + " (head_dim, or head_dim * partial_rotary_factor)");
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray exponents = m.arange(0, dim, 2, DataType.INT64).toType(DataType.FLOAT32, false).div((float) dim);
            NDArray powers = m.create((float) base).pow(exponents);
            return powers.getNDArrayInternal().rdiv(1f).toFloatArray();
        }
    }

    /**
     * cos and sin of {@code positions * inv_freq}, duplicated along the last axis ({@code torch.cat((freqs, freqs))},
     * the half-split layout {@link #rotateHalf} expects).
     *
     * @param positions (batch, seq) float32 positions (already divided by a linear scaling factor where there is one)
     * @param invFreq dim / 2 inverse frequencies
     * @param dtype the type of the returned tables (the activations' type; the products are float32 as in Python)
     * @return {cos, sin}, each (batch, seq, dim), in the manager of {@code positions}
     */
    public static NDArray[] cosSin(NDArray positions, float[] invFreq, DType dtype) {
        NDArray inv = positions.getManager().create(invFreq).reshape(1, 1, invFreq.length); // (1, 1, dim/2)
        NDArray freqs = positions.toType(DataType.FLOAT32, false).expandDims(2).mul(inv);  // (B, T, dim/2)
        NDArray emb = NDArrays.concat(new NDList(freqs, freqs), 2);                         // (B, T, dim)
        NDArray cos = emb.cos();
        NDArray sin = emb.sin();
        if (dtype != DType.F32) {
            cos = TorchOps.toDType(cos, dtype);
            sin = TorchOps.toDType(sin, dtype);
        }
        return new NDArray[] {cos, sin};
    }

    /** Python's {@code rotate_half}: (x1, x2) -> (-x2, x1) over the two halves of the last axis. */
    public static NDArray rotateHalf(NDArray x) {
        int last = x.getShape().dimension() - 1;
        long half = x.getShape().get(last) / 2;
        NDList halves = x.split(new long[] {half}, last); // two views, one call
        NDArray negated = halves.get(1).neg();
        NDArray rotated = NDArrays.concat(new NDList(negated, halves.get(0)), last);
        negated.close(); // freed as soon as used, as Python frees it (the views hold no memory of their own)
        return rotated;
    }

    /**
     * Python's {@code apply_rotary_pos_emb} for one tensor: {@code (x * cos) + (rotate_half(x) * sin)}.
     *
     * @param x (batch, heads, seq, dim)
     * @param cos (batch or 1, seq, dim), broadcast over the heads ({@code unsqueeze_dim=1}), or already (batch or 1,
     *     1, seq, dim): a model that computes its tables once per forward unsqueezes them once too
     * @param sin as cos
     */
    public static NDArray applyRotaryPosEmb(NDArray x, NDArray cos, NDArray sin) {
        NDArray c = cos.getShape().dimension() == 3 ? cos.expandDims(1) : cos; // (B, 1, T, dim)
        NDArray s = sin.getShape().dimension() == 3 ? sin.expandDims(1) : sin;
        // One native call where the kernels run (same roundings, same bits); six LibTorch ops otherwise.
        NDArray fused = TorchOps.fusedRotary(x, c, s);
        if (fused != null) {
            return fused;
        }
        // (x * cos) + (rotate_half(x) * sin) with the second product and the sum made in place in fresh temporaries:
        // the same roundings, two fewer (batch, heads, seq, dim) buffers alive at once.
        NDArray rotated = rotateHalf(x).muli(s);
        NDArray out = x.mul(c).addi(rotated);
        rotated.close();
        return out;
    }
}
