package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code TokenClassifierOutput} (modeling_outputs.py): class scores for every token.
 *
 * @param loss scalar cross-entropy when labels were given, or null
 * @param logits (batch, seq, num_labels)
 * @param hiddenStates the embeddings' output then each layer's, or null
 * @param attentions each layer's attention weights, or null
 */
public record TokenClassifierOutput(NDArray loss, NDArray logits, List<NDArray> hiddenStates, List<NDArray> attentions)
        implements ModelOutput {

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
