package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code BaseModelOutputWithPast} (modeling_outputs.py): a decoder's last hidden state, its key/value cache
 * and, when asked for, every layer's hidden states and attention weights (Llama, Mistral, Persimmon, ...).
 *
 * @param lastHiddenState (batch, seq, hidden)
 * @param pastKeyValues per layer {key, value}, each (batch, kv_heads, past + seq, head_dim); null without use_cache
 * @param hiddenStates the embeddings' output, then each layer's (the last one after the final norm), or null
 * @param attentions each layer's softmaxed attention weights (batch, heads, seq, past + seq), or null
 */
public record BaseModelOutputWithPast(NDArray lastHiddenState, List<NDArray[]> pastKeyValues,
        List<NDArray> hiddenStates, List<NDArray> attentions) implements ModelOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        ModelOutput.put(m, "last_hidden_state", lastHiddenState);
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
