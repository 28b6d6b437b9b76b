package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code Seq2SeqLMOutput} (modeling_outputs.py): next-token logits of an encoder-decoder language model, the
 * loss when labels were given, the decoder's cache and the encoder's outputs.
 *
 * @param loss scalar mean cross-entropy of logits against labels (labels -100 ignored; no shift: the decoder inputs
 *     are the labels shifted right), or null
 * @param logits (batch, target_seq, vocab)
 * @param pastKeyValues per decoder layer {self key, self value, cross key, cross value}, each (batch, heads, seq,
 *     head_dim); null without use_cache
 * @param decoderHiddenStates the decoder embeddings' output then each decoder layer's, or null
 * @param decoderAttentions each decoder layer's self-attention weights, or null
 * @param crossAttentions each decoder layer's attention weights over the encoder output, or null
 * @param encoderLastHiddenState (batch, source_seq, hidden); null from a decoder step that was given the encoder
 *     output
 * @param encoderHiddenStates the encoder embeddings' output then each encoder layer's, or null
 * @param encoderAttentions each encoder layer's attention weights, or null
 */
public record Seq2SeqLMOutput(NDArray loss, NDArray logits, List<NDArray[]> pastKeyValues,
        List<NDArray> decoderHiddenStates, List<NDArray> decoderAttentions, List<NDArray> crossAttentions,
        NDArray encoderLastHiddenState, List<NDArray> encoderHiddenStates, List<NDArray> encoderAttentions)
        implements ModelOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        ModelOutput.put(m, "loss", loss);
        ModelOutput.put(m, "logits", logits);
        Outputs.putCache(m, pastKeyValues);
        ModelOutput.putAll(m, "decoder_hidden_states", decoderHiddenStates);
        ModelOutput.putAll(m, "decoder_attentions", decoderAttentions);
        ModelOutput.putAll(m, "cross_attentions", crossAttentions);
        ModelOutput.put(m, "encoder_last_hidden_state", encoderLastHiddenState);
        ModelOutput.putAll(m, "encoder_hidden_states", encoderHiddenStates);
        ModelOutput.putAll(m, "encoder_attentions", encoderAttentions);
        return m;
    }
}
