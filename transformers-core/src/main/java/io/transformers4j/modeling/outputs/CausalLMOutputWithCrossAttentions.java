package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Python's {@code CausalLMOutputWithCrossAttentions}: next-token logits (batch, seq, vocab), shifted LM loss when labels were given. */
public record CausalLMOutputWithCrossAttentions(NDArray loss, NDArray logits, List<NDArray[]> pastKeyValues, List<NDArray> hiddenStates,
        List<NDArray> attentions, List<NDArray> crossAttentions) implements ModelOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        ModelOutput.put(m, "loss", loss);
        ModelOutput.put(m, "logits", logits);
        Outputs.putCache(m, pastKeyValues);
        ModelOutput.putAll(m, "hidden_states", hiddenStates);
        ModelOutput.putAll(m, "attentions", attentions);
        ModelOutput.putAll(m, "cross_attentions", crossAttentions);
        return m;
    }
}
