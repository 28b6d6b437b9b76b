package io.transformers4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.nn.RotaryEmbedding;
import io.transformers4j.torch.TorchOps;

/**
 * Port of {@code LlamaRotaryEmbedding} and its two scaled variants, chosen by {@code rope_scaling.type}:
 * <ul>
 *   <li>none: cos/sin of {@code position_ids * inv_freq};
 *   <li>"linear" ({@code LlamaLinearScalingRotaryEmbedding}): positions divided by the factor first;
 *   <li>"dynamic" ({@code LlamaDynamicNTKScalingRotaryEmbedding}): once {@code max(position_ids) + 1} exceeds
 *       max_position_embeddings, inv_freq is recomputed from an enlarged base (NTK-aware scaling).
 * </ul>
 *
 * <p>One difference from 4.39, on purpose: Python's dynamic variant overwrites its {@code inv_freq} buffer when a long
 * sequence comes and keeps the enlarged base for every later call, short ones included (a bug later versions fixed by
 * restoring the original frequencies). Here each call derives its frequencies from its own positions, so a model
 * gives the same answer for the same input whatever it ran before.
 */
final class LlamaRotaryEmbedding {

    private final int dim;
    private final int maxPositionEmbeddings;
    private final double base;
    private final String scalingType; // null, "linear" or "dynamic"
    private final double scalingFactor;
    private final float[] invFreq;    // (dim / 2)

    LlamaRotaryEmbedding(int dim, int maxPositionEmbeddings, double base, String scalingType, double scalingFactor) {
        this.dim = dim;
        this.maxPositionEmbeddings = maxPositionEmbeddings;
        this.base = base;
        this.scalingType = scalingType;
        this.scalingFactor = scalingFactor;
        this.invFreq = RotaryEmbedding.invFreq(dim, base);
    }

    /**
     * @param x any activation of the layer: gives the tables' type
     * @param positionIds (batch or 1, seq) int64
     * @return {cos, sin}, each (batch or 1, seq, dim)
     */
    NDArray[] forward(NDArray x, NDArray positionIds) {
        NDArray positions = positionIds.toType(DataType.FLOAT32, false);
        float[] frequencies = invFreq;
        if ("linear".equals(scalingType)) {
            positions = positions.div((float) scalingFactor);
        } else if ("dynamic".equals(scalingType)) {
            long seqLen = positionIds.max().getLong() + 1;
            if (seqLen > maxPositionEmbeddings) {
                frequencies = RotaryEmbedding.invFreq(dim, dynamicBase(seqLen));
            }
        }
        return RotaryEmbedding.cosSin(positions, frequencies, TorchOps.dtypeOf(x));
    }

    /**
     * {@code base * ((factor * seq_len / max_position_embeddings) - (factor - 1)) ** (dim / (dim - 2))}. In 4.39
     * seq_len is a tensor, so Python evaluates this in float32, step by step; so do we.
     */
    private double dynamicBase(long seqLen) {
        float factor = (float) scalingFactor;
        float ratio = factor * (float) seqLen / (float) maxPositionEmbeddings - (float) (scalingFactor - 1);
        float scaled = (float) Math.pow(ratio, (float) ((double) dim / (dim - 2)));
        return (float) base * scaled;
    }
}
