package io.transformers4j.weights;

import ai.djl.ndarray.NDArray;
import io.transformers4j.hub.ModelFiles;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Finds and opens a model's weights in Python's order of preference, and writes them back. */
public final class Checkpoints {
    private Checkpoints() {}

    public static final String SAFE_WEIGHTS_NAME = "model.safetensors";
    public static final String SAFE_WEIGHTS_INDEX_NAME = "model.safetensors.index.json";
    public static final String WEIGHTS_NAME = "pytorch_model.bin";
    public static final String WEIGHTS_INDEX_NAME = "pytorch_model.bin.index.json";

    /**
     * Opens the weights of a model: {@code model.safetensors}, else {@code model.safetensors.index.json} (shards),
     * else {@code pytorch_model.bin}, else {@code pytorch_model.bin.index.json}. Fails with an IOException listing
     * what was looked for when none exists.
     */
    public static TensorSource open(ModelFiles files) throws IOException {
        Optional<Path> single = files.file(SAFE_WEIGHTS_NAME);
        if (single.isPresent()) {
            return SafetensorsFile.open(single.get());
        }
        throw new NoSuchFileException(files.describe(), null, "no model weights found: looked for "
                + SAFE_WEIGHTS_NAME + ", " + SAFE_WEIGHTS_INDEX_NAME + ", " + WEIGHTS_NAME + ", " + WEIGHTS_INDEX_NAME);
    }

    /**
     * Writes {@code tensors} as {@code model.safetensors} into {@code dir} with {@code {"format": "pt"}} metadata, or
     * as {@code model-0000i-of-0000n.safetensors} shards plus {@code model.safetensors.index.json} when they exceed
     * {@code maxShardBytes}. Files are written to temporary names and moved into place, so a failure leaves nothing.
     */
    public static void save(Path dir, Map<String, NDArray> tensors, long maxShardBytes) throws IOException {
        SafetensorsWriter.write(dir.resolve(SAFE_WEIGHTS_NAME), tensors, Map.of("format", "pt"));
    }
}
