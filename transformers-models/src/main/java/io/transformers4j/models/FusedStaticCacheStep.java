package io.transformers4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.generation.Cache;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.torch.FusedDecoderLayer;

/**
 * The part of a fused decoding step that is the same for every architecture using {@link FusedDecoderLayer} (Llama,
 * Mistral): take only a (1, 1, hidden) token at one cache position, hand the layer its static-cache buffers, and count
 * the row it wrote. Each decoder layer prepares its own {@link FusedDecoderLayer} from its weights.
 */
public final class FusedStaticCacheStep {
    private FusedStaticCacheStep() {}

    /**
     * The layer's output for one token, or null where the step does not run fused (then the caller runs the layer op
     * by op, which writes the same cache row).
     *
     * @param fused the layer prepared for fused steps, or null where it cannot run fused
     */
    public static NDArray run(FusedDecoderLayer fused, NDArray hiddenStates, NDArray attentionMask, NDArray[] cosSin,
            NDArray cachePosition, StaticCache cache, int layerIdx) {
        if (fused == null || attentionMask == null || cachePosition == null) {
            return null;
        }
        Shape s = hiddenStates.getShape();
        if (s.dimension() != 3 || s.get(0) != 1 || s.get(1) != 1) {
            return null;
        }
        long[] positions = cache.positions(cachePosition);
        if (positions.length != 1) {
            return null;
        }
        Cache.KeyValue kv = cache.get(layerIdx);
        NDArray out = fused.forward(hiddenStates, cosSin[0], cosSin[1], kv.key(), kv.value(), positions[0],
                attentionMask);
        if (out != null) {
            cache.countWritten(layerIdx, 1);
        }
        return out;
    }
}
