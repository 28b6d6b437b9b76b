package io.transformers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * Read access to the named tensors of a checkpoint: one safetensors file, a sharded set, or a
 * {@code pytorch_model.bin}. Closing it releases file mappings; tensors already loaded with {@link #load} stay valid
 * (they are copies, or they keep their own reference to the mapping).
 */
public interface TensorSource extends AutoCloseable {

    /** Every tensor name, in file order. */
    Set<String> keys();

    /** The name, dtype and shape of one tensor; throws {@link IllegalArgumentException} naming the key if absent. */
    TensorInfo info(String key);

    /**
     * Loads one tensor into {@code manager}, converted to {@code dtype} (null keeps the stored type). BF16 data is
     * only ever handled by the LibTorch bridge, never by DJL's typed API.
     */
    NDArray load(String key, NDManager manager, DType dtype) throws IOException;

    /** The safetensors {@code __metadata__} (empty for other formats). */
    Map<String, String> metadata();

    /** What this source reads, for error messages (a file or folder path). */
    String describe();

    @Override
    void close() throws IOException;
}
