package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Output of {@link BertForPreTraining}. Port of {@code BertForPreTrainingOutput} (modeling_bert.py).
 *
 * @param loss masked-LM loss + next-sentence loss, when both labels were given
 * @param predictionLogits (batch, seq, vocab)
 * @param seqRelationshipLogits (batch, 2)
 */
public record BertForPreTrainingOutput(NDArray loss, NDArray predictionLogits, NDArray seqRelationshipLogits,
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
