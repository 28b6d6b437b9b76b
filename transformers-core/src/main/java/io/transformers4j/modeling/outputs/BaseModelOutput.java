package io.transformers4j.modeling.outputs;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code BaseModelOutput} (modeling_outputs.py): an encoder's last hidden state and, when asked for, every
 * layer's hidden states and attention weights. Encoder-decoder models return it from {@code encode} and accept it back
 * as {@code encoder_outputs}.
 *
 * @param lastHiddenState (batch, seq, hidden)
 * @param hiddenStates the embeddings' output then each layer's, or null
 * @param attentions each layer's softmaxed attention weights, or null
 */
public record BaseModelOutput(NDArray lastHiddenState, List<NDArray> hiddenStates, List<NDArray> attentions)
        implements ModelOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        ModelOutput.put(m, "last_hidden_state", lastHiddenState);
        ModelOutput.putAll(m, "hidden_states", hiddenStates);
        ModelOutput.putAll(m, "attentions", attentions);
        return m;
    }
}
