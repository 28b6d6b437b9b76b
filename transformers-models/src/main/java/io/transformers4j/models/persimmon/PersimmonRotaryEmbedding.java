package io.transformers4j.models.persimmon;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.nn.RotaryEmbedding;
import io.transformers4j.torch.TorchOps;

/**
 * Port of {@code PersimmonRotaryEmbedding} and its scaled variants ({@code PersimmonLinearScalingRotaryEmbedding},
 * {@code PersimmonDynamicNTKScalingRotaryEmbedding}), over the first {@code rotary_dim} dimensions of each head.
 *
 * <p>Python keeps cos/sin tables for positions 0..max(seq_len seen) and indexes them with position_ids; the values are
 * {@code cos(position / factor * inv_freq)}, computed here for the positions at hand. The dynamic variant enlarges
 * the base once the cached + new length exceeds max_position_embeddings. Python's tables keep the enlarged base for
 * later, shorter calls; here every call derives its frequencies from its own length (see LlamaRotaryEmbedding).
 */
final class PersimmonRotaryEmbedding {

    private final int dim;
    private final int maxPositionEmbeddings;
    private final double base;
    private final String scalingType; // null, "linear" or "dynamic"
    private final double scalingFactor;
    private final float[] invFreq;    // (dim / 2)

    PersimmonRotaryEmbedding(int dim, int maxPositionEmbeddings, double base, String scalingType,
            double scalingFactor) {
        this.dim = dim;
        this.maxPositionEmbeddings = maxPositionEmbeddings;
        this.base = base;
        this.scalingType = scalingType;
        this.scalingFactor = scalingFactor;
        this.invFreq = RotaryEmbedding.invFreq(dim, base);
    }

    /** The rotated dimensions per head ({@code self.rotary_emb.dim}). */
    int dim() {
        return dim;
    }

    /**
     * @param x any activation of the layer: gives the tables' type
     * @param positionIds (batch or 1, seq) int64
     * @param seqLen cached + new length (Python's kv_seq_len)
     * @return {cos, sin}, each (batch or 1, seq, dim)
     */
    NDArray[] forward(NDArray x, NDArray positionIds, long seqLen) {
        NDArray positions = positionIds.toType(DataType.FLOAT32, false);
        float[] frequencies = invFreq;
        if ("linear".equals(scalingType)) {
            positions = positions.div((float) scalingFactor);
        } else if ("dynamic".equals(scalingType) && seqLen > maxPositionEmbeddings) {
            // seq_len is a Python int here, so the new base is computed in double precision.
            double newBase = base * Math.pow(scalingFactor * seqLen / maxPositionEmbeddings - (scalingFactor - 1),
                    (double) dim / (dim - 2));
            frequencies = RotaryEmbedding.invFreq(dim, newBase);
        }
        return RotaryEmbedding.cosSin(positions, frequencies, TorchOps.dtypeOf(x));
    }
}
