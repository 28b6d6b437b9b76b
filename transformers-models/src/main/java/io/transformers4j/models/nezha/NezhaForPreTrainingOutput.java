package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Output of {@link NezhaForPreTraining}. Port of {@code NezhaForPreTrainingOutput} (models/nezha/modeling_nezha.py).
 *
 * @param loss masked-LM loss + next-sentence loss, when both labels were given, or null
 * @param predictionLogits (batch, seq, vocab)
 * @param seqRelationshipLogits (batch, 2): index 0 = "B follows A"
 * @param hiddenStates the embeddings' output then each layer's, or null
 * @param attentions each layer's attention weights, or null
 */
public record NezhaForPreTrainingOutput(NDArray loss, NDArray predictionLogits, NDArray seqRelationshipLogits,
        List<NDArray> hiddenStates, List<NDArray> attentions) implements ModelOutput {

    @Override
    public Map<String, NDArray> toMap() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        ModelOutput.put(m, "loss", loss);
        ModelOutput.put(m, "prediction_logits", predictionLogits);
        ModelOutput.put(m, "seq_relationship_logits", seqRelationshipLogits);
        ModelOutput.putAll(m, "hidden_states", hiddenStates);
        ModelOutput.putAll(m, "attentions", attentions);
        return m;
    }
}
