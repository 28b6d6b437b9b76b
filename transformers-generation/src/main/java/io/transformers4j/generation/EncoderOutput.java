package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The encoder's result an encoder-decoder reuses at every decoding step (Python's {@code encoder_outputs}, a
 * {@code BaseModelOutput}).
 *
 * @param lastHiddenState (batch, source length, hidden)
 * @param hiddenStates embeddings + one per layer, or null when not asked for
 * @param attentions one per layer, or null when not asked for
 */
public record EncoderOutput(NDArray lastHiddenState, List<NDArray> hiddenStates, List<NDArray> attentions) {

    public EncoderOutput {
        if (lastHiddenState == null) {
            throw new IllegalArgumentException("encoder_outputs needs a last_hidden_state");
        }
    }

    /** Python's {@code _expand_dict_for_generation} on encoder_outputs: only the tensor field is expanded. */
    EncoderOutput withLastHiddenState(NDArray expanded) {
        return new EncoderOutput(expanded, hiddenStates, attentions);
    }
}
