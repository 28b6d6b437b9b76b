package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code CausalLMOutputWithCrossAttentions} (modeling_outputs.py): next-token logits of a causal language
 * model, the shifted LM loss when labels were given, and the decoder's cache and optional per-layer tensors.
 *
 * @param loss scalar mean cross-entropy of logits[:, :-1] against labels[:, 1:] (labels -100 ignored), or null
 * @param logits (batch, seq, vocab)
 * @param pastKeyValues per layer {key, value}, each (batch, heads, past + seq, head_dim); null without use_cache
 * @param hiddenStates the embeddings' output then each layer's, or null
 * @param attentions each layer's attention weights, or null
 * @param crossAttentions each layer's cross-attention weights, or null
 */
public record CausalLMOutputWithCrossAttentions(NDArray loss, NDArray logits, List<NDArray[]> pastKeyValues,
        List<NDArray> hiddenStates, List<NDArray> attentions, List<NDArray> crossAttentions) implements ModelOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        ModelOutput.put(m, "loss", loss);
        ModelOutput.put(m, "logits", logits);
        putCache(m, pastKeyValues);
        ModelOutput.putAll(m, "hidden_states", hiddenStates);
        ModelOutput.putAll(m, "attentions", attentions);
        ModelOutput.putAll(m, "cross_attentions", crossAttentions);
        return m;
    }

    @Override
    public List<NDArray[]> pastKeyValues() {
        return pastKeyValues;
    }

    /** The legacy cache flattened as Python names it: {@code past_key_values.<layer>.<0 key | 1 value>}. */
    static void putCache(Map<String, NDArray> m, List<NDArray[]> cache) {
        if (cache == null) {
            return;
        }
        for (int layer = 0; layer < cache.size(); layer++) {
            NDArray[] kv = cache.get(layer);
            for (int j = 0; j < kv.length; j++) {
                m.put("past_key_values." + layer + "." + j, kv[j]);
            }
        }
    }
}
