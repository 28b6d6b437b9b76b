package io.transformers4j.models.mistral;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.RotaryEmbedding;
import io.transformers4j.torch.TorchOps;

/**
 * Port of {@code MistralRotaryEmbedding}. Python builds cos/sin tables for positions 0..max_position_embeddings (grown
 * on demand) and picks rows by position_ids in {@code apply_rotary_pos_emb}; the values are the float32
 * {@code cos(position * inv_freq)}, which is what is computed here directly for the positions at hand.
 */
final class MistralRotaryEmbedding {
    private final float[] invFreq; // (dim / 2)

    MistralRotaryEmbedding(int dim, double base) {
        this.invFreq = RotaryEmbedding.invFreq(dim, base);
    }

    /**
     * @param x any activation of the layer: gives the tables' type
     * @param positionIds (batch or 1, seq) int64
     * @return {cos, sin}, each (batch or 1, seq, dim)
     */
    NDArray[] forward(NDArray x, NDArray positionIds) {
        return RotaryEmbedding.cosSin(positionIds, invFreq, TorchOps.dtypeOf(x));
    }
}
