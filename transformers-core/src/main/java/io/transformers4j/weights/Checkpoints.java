package io.transformers4j.weights;

import ai.djl.ndarray.NDArray;
import io.transformers4j.hub.ModelFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** Finds and opens a model's weights in Python's order of preference, and writes them back. */
public final class Checkpoints {
    private Checkpoints() {}

    /**
     * Opens the weights of a model: {@code model.safetensors}, else {@code model.safetensors.index.json} (shards),
     * else {@code pytorch_model.bin}, else {@code pytorch_model.bin.index.json}. Fails with an IOException listing
     * what was looked for when none exists.
     */
    public static TensorSource open(ModelFiles files) throws IOException {
        throw new UnsupportedOperationException("TODO");
    }

    /**
     * Writes {@code tensors} as {@code model.safetensors} into {@code dir} with {@code {"format": "pt"}} metadata, or
     * as {@code model-0000i-of-0000n.safetensors} shards plus {@code model.safetensors.index.json} when they exceed
     * {@code maxShardBytes}. Files are written to temporary names and moved into place, so a failure leaves nothing.
     */
    public static void save(Path dir, Map<String, NDArray> tensors, long maxShardBytes) throws IOException {
        throw new UnsupportedOperationException("TODO");
    }
}
