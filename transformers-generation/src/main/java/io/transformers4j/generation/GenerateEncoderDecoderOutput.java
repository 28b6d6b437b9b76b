package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.List;
import java.util.Map;

/** generate() result of an encoder-decoder model with a non-beam method (Python's {@code GenerateEncoderDecoderOutput}). */
public record GenerateEncoderDecoderOutput(NDArray sequences, List<NDArray> scores, List<NDArray> logits,
        List<NDArray> encoderAttentions, List<NDArray> encoderHiddenStates, List<List<NDArray>> decoderAttentions,
        List<List<NDArray>> crossAttentions, List<List<NDArray>> decoderHiddenStates, Object pastKeyValues)
        implements GenerateOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = GenerateOutputs.map();
        ModelOutput.put(m, "sequences", sequences);
        ModelOutput.putAll(m, "scores", scores);
        ModelOutput.putAll(m, "logits", logits);
        ModelOutput.putAll(m, "encoder_attentions", encoderAttentions);
        ModelOutput.putAll(m, "encoder_hidden_states", encoderHiddenStates);
        GenerateOutputs.putNested(m, "decoder_attentions", decoderAttentions);
        GenerateOutputs.putNested(m, "cross_attentions", crossAttentions);
        GenerateOutputs.putNested(m, "decoder_hidden_states", decoderHiddenStates);
        return m;
    }
}
