package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * What one forward returns to {@code generate()}: Python's {@code CausalLMOutputWithPast} / {@code Seq2SeqLMOutput}
 * fields the strategies read. For an encoder-decoder, {@code hiddenStates} and {@code attentions} are the decoder's
 * ({@code decoder_hidden_states}, {@code decoder_attentions}); {@code crossAttentions} is null for a decoder-only model.
 *
 * @param logits (batch, new tokens, vocab)
 * @param pastKeyValues the cache to pass back next step (legacy {@code List<NDArray[]>} or a {@link Cache}), or null
 * @param hiddenStates embeddings + one per layer, each (batch, new tokens, hidden), or null when not asked for
 * @param attentions one per layer, (batch, heads, new tokens, keys), or null when not asked for
 * @param crossAttentions one per layer (encoder-decoders), or null
 */
public record GenerationStepOutput(NDArray logits, Object pastKeyValues, List<NDArray> hiddenStates,
        List<NDArray> attentions, List<NDArray> crossAttentions) {

    public GenerationStepOutput {
        if (logits == null) {
            throw new IllegalArgumentException("a generation step must return logits");
        }
    }
}
