package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * Modifies next-token scores during generation. Port of Python's {@code LogitsProcessor} (logits_process.py).
 *
 * <p>{@code inputIds} is (batch_size, sequence_length) int64 and {@code scores} is (batch_size, vocab_size) float32.
 * Unlike Python, a processor never modifies {@code scores} in place: it returns a new tensor in {@code scores}'
 * manager, or {@code scores} itself when it leaves them unchanged.
 */
@FunctionalInterface
public interface LogitsProcessor {

    NDArray process(NDArray inputIds, NDArray scores);

    /**
     * The call with Python's extra keyword arguments (group beam search passes {@code current_tokens} and
     * {@code beam_group_idx}). Processors that need none ignore them.
     */
    default NDArray process(NDArray inputIds, NDArray scores, Map<String, Object> kwargs) {
        return process(inputIds, scores);
    }

    /**
     * Whether Python's version writes into the {@code scores} tensor it receives (e.g. {@code scores[:, eos] = -inf}
     * or {@code scatter_}) instead of returning a new tensor. Python 4.39 stores the raw logits of a step
     * ({@code output_logits}) after such processors ran on them; see
     * {@link LogitsProcessorList#processTrackingPythonAliasing}.
     */
    default boolean inPlaceInPython() {
        return false;
    }
}
