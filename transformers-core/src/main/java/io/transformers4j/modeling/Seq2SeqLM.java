package io.transformers4j.modeling;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.Seq2SeqLMOutput;
import java.util.List;

/**
 * An encoder-decoder language model seen from {@code generate()}: run the encoder once, then the decoder one step at
 * a time over a growing cache. Python reaches the same two halves through {@code model.get_encoder()(...)} and
 * {@code model(decoder_input_ids=..., encoder_outputs=..., past_key_values=...)}.
 *
 * <pre>{@code
 * BaseModelOutput enc = model.encode(inputIds, attentionMask);           // once
 * List<NDArray[]> past = null;
 * NDArray next = startTokens;                                            // (B, 1) of decoder_start_token_id
 * for (...) {
 *     Seq2SeqLMOutput out = model.decode(next, null, enc.lastHiddenState(), attentionMask, past);
 *     past = out.pastKeyValues();                                        // the caller owns and closes old caches
 *     next = argmax(out.logits() last position)                          // (B, 1)
 * }
 * }</pre>
 *
 * The cache is Python's legacy tuple form: per decoder layer {self key, self value, cross key, cross value}, each
 * (batch, heads, seq, head_dim). The cross-attention keys/values are computed from the encoder output on the first
 * step and reused after it; beam search reorders every tensor along dimension 0 (Python's {@code _reorder_cache}).
 * Tensors returned belong to the manager of the first input tensor (decoderInputIds / inputIds).
 */
public interface Seq2SeqLM {

    /**
     * Runs the encoder.
     *
     * @param inputIds (batch, source_seq) int64
     * @param attentionMask (batch, source_seq) of 1 (attend) / 0 (padding), or null for all ones
     */
    BaseModelOutput encode(NDArray inputIds, NDArray attentionMask);

    /**
     * Runs the decoder on new tokens, with {@code use_cache=True}.
     *
     * @param decoderInputIds (batch, new_tokens) int64: only the tokens the cache does not hold yet
     * @param decoderAttentionMask (batch, past + new_tokens) or null (Python's default: attend to every target token,
     *     causally)
     * @param encoderHiddenStates the encoder's last hidden state (batch, source_seq, hidden)
     * @param encoderAttentionMask the encoder's attention mask (batch, source_seq), or null
     * @param pastKeyValues the cache a previous call returned, or null on the first step
     * @return logits (batch, new_tokens, vocab) and the updated cache; the encoder fields are null
     */
    Seq2SeqLMOutput decode(NDArray decoderInputIds, NDArray decoderAttentionMask, NDArray encoderHiddenStates,
            NDArray encoderAttentionMask, List<NDArray[]> pastKeyValues);

    /** The config's {@code decoder_start_token_id}: the first decoder input of generation. */
    Integer decoderStartTokenId();
}
