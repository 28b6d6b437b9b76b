package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.List;
import java.util.Map;

/**
 * generate() result of a decoder-only model with a non-beam method. Port of Python's {@code GenerateDecoderOnlyOutput}:
 * {@code scores} / {@code logits} one (batch, vocab) tensor per generated token; {@code attentions} /
 * {@code hiddenStates} per generated token, per layer.
 */
public record GenerateDecoderOnlyOutput(NDArray sequences, List<NDArray> scores, List<NDArray> logits,
        List<List<NDArray>> attentions, List<List<NDArray>> hiddenStates, Object pastKeyValues)
        implements GenerateOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = GenerateOutputs.map();
        ModelOutput.put(m, "sequences", sequences);
        ModelOutput.putAll(m, "scores", scores);
        ModelOutput.putAll(m, "logits", logits);
        GenerateOutputs.putNested(m, "attentions", attentions);
        GenerateOutputs.putNested(m, "hidden_states", hiddenStates);
        return m;
    }
}
