package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Python's {@code NextSentencePredictorOutput}: logits (batch, 2), index 0 = "B follows A". */
public record NextSentencePredictorOutput(NDArray loss, NDArray logits, List<NDArray> hiddenStates, List<NDArray> attentions) implements ModelOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        ModelOutput.put(m, "loss", loss);
        ModelOutput.put(m, "logits", logits);
        ModelOutput.putAll(m, "hidden_states", hiddenStates);
        ModelOutput.putAll(m, "attentions", attentions);
        return m;
    }
}
