package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.List;
import java.util.Map;

/**
 * generate() result of a decoder-only model with a beam method (Python's {@code GenerateBeamDecoderOnlyOutput}):
 * {@code sequencesScores} (batch * num_return_sequences,), {@code beamIndices} (batch * num_return_sequences, len).
 */
public record GenerateBeamDecoderOnlyOutput(NDArray sequences, NDArray sequencesScores, List<NDArray> scores,
        List<NDArray> logits, NDArray beamIndices, List<List<NDArray>> attentions, List<List<NDArray>> hiddenStates,
        Object pastKeyValues) implements GenerateOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = GenerateOutputs.map();
        ModelOutput.put(m, "sequences", sequences);
        ModelOutput.put(m, "sequences_scores", sequencesScores);
        ModelOutput.putAll(m, "scores", scores);
        ModelOutput.putAll(m, "logits", logits);
        ModelOutput.put(m, "beam_indices", beamIndices);
        GenerateOutputs.putNested(m, "attentions", attentions);
        GenerateOutputs.putNested(m, "hidden_states", hiddenStates);
        return m;
    }
}
