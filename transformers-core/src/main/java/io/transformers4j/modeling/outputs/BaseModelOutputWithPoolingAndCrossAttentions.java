package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Python's {@code BaseModelOutputWithPoolingAndCrossAttentions}: BertModel-style output with the pooled first token. */
public record BaseModelOutputWithPoolingAndCrossAttentions(NDArray lastHiddenState, NDArray poolerOutput, List<NDArray[]> pastKeyValues,
        List<NDArray> hiddenStates, List<NDArray> attentions, List<NDArray> crossAttentions) implements ModelOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        ModelOutput.put(m, "last_hidden_state", lastHiddenState);
        ModelOutput.put(m, "pooler_output", poolerOutput);
        Outputs.putCache(m, pastKeyValues);
        ModelOutput.putAll(m, "hidden_states", hiddenStates);
        ModelOutput.putAll(m, "attentions", attentions);
        ModelOutput.putAll(m, "cross_attentions", crossAttentions);
        return m;
    }
}
