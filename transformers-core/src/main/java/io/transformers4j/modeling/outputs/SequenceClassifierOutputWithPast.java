package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code SequenceClassifierOutputWithPast} (modeling_outputs.py): one row of class scores per sequence from a
 * decoder, with its cache.
 *
 * @param loss scalar classification / regression loss when labels were given, or null
 * @param logits (batch, num_labels)
 * @param pastKeyValues per layer {key, value}; null without use_cache
 * @param hiddenStates the embeddings' output then each layer's, or null
 * @param attentions each layer's attention weights, or null
 */
public record SequenceClassifierOutputWithPast(NDArray loss, NDArray logits, List<NDArray[]> pastKeyValues,
        List<NDArray> hiddenStates, List<NDArray> attentions) implements ModelOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        ModelOutput.put(m, "loss", loss);
        ModelOutput.put(m, "logits", logits);
        Outputs.putCache(m, pastKeyValues);
        ModelOutput.putAll(m, "hidden_states", hiddenStates);
        ModelOutput.putAll(m, "attentions", attentions);
        return m;
    }

    @Override
    public List<NDArray[]> pastKeyValues() {
        return pastKeyValues;
    }
}
