package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code BaseModelOutputWithPastAndCrossAttentions} (modeling_outputs.py): a decoder's last hidden state,
 * its key/value cache and, when asked for, every layer's hidden states and attention weights.
 *
 * @param lastHiddenState (batch, seq, hidden)
 * @param pastKeyValues per layer {key, value}, each (batch, heads, past + seq, head_dim); null without use_cache
 * @param hiddenStates the embeddings' output then each layer's, or null
 * @param attentions each layer's softmaxed attention weights (batch, heads, seq, past + seq), or null
 * @param crossAttentions each layer's cross-attention weights, or null
 */
public record BaseModelOutputWithPastAndCrossAttentions(NDArray lastHiddenState, List<NDArray[]> pastKeyValues,
        List<NDArray> hiddenStates, List<NDArray> attentions, List<NDArray> crossAttentions) implements ModelOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        ModelOutput.put(m, "last_hidden_state", lastHiddenState);
        CausalLMOutputWithCrossAttentions.putCache(m, pastKeyValues);
        ModelOutput.putAll(m, "hidden_states", hiddenStates);
        ModelOutput.putAll(m, "attentions", attentions);
        ModelOutput.putAll(m, "cross_attentions", crossAttentions);
        return m;
    }
}
