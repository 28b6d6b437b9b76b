package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code CausalLMOutputWithPast} (modeling_outputs.py): next-token logits of a decoder-only language model,
 * the shifted LM loss when labels were given, the key/value cache and the optional per-layer tensors.
 *
 * @param loss scalar mean cross-entropy of logits[:, :-1] against labels[:, 1:] (labels -100 ignored), or null
 * @param logits (batch, seq, vocab)
 * @param pastKeyValues per layer {key, value}, each (batch, kv_heads, past + seq, head_dim); null without use_cache
 * @param hiddenStates the embeddings' output, then each layer's (the last one after the final norm), or null
 * @param attentions each layer's attention weights, or null
 */
public record CausalLMOutputWithPast(NDArray loss, NDArray logits, List<NDArray[]> pastKeyValues,
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
