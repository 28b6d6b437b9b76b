package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.modeling.outputs.SequenceClassifierOutput;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * NEZHA with a linear classifier (or regressor) over the pooled first-token output. Port of
 * {@code NezhaForSequenceClassification}. Extra argument: {@code labels} (batch), whose loss follows
 * {@link #problemType}.
 */
public class NezhaForSequenceClassification extends NezhaPreTrainedModel {

    public static final ModelClass<NezhaConfig, NezhaForSequenceClassification> CLASS =
            modelClass("NezhaForSequenceClassification", true, NezhaForSequenceClassification::new);

    static final Set<String> ARGUMENTS = arguments("labels");

    final NezhaModel nezha;
    private final Linear classifier; // (num_labels, hidden)
    private final int numLabels;

    public NezhaForSequenceClassification(NezhaConfig config, Weights w) {
        super(config, w);
        this.numLabels = config.numLabels();
        this.nezha = new NezhaModel(config, w.prefix("nezha"), true);
        this.classifier = new Linear(w.prefix("classifier"), config.hiddenSize(), numLabels, true);
    }

    public static NezhaForSequenceClassification fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static NezhaForSequenceClassification fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public SequenceClassifierOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = nezha.run(inputs);
            NDArray logits = classifier.forward(outputs.poolerOutput()); // (B, num_labels); dropout is the identity
            NDArray labels = inputs.labels();
            NDArray loss = null;
            if (labels != null) {
                switch (problemType(labels)) {
                    case "regression":
                        loss = numLabels == 1 ? Losses.mse(logits.squeeze(), labels.squeeze())
                                : Losses.mse(logits, labels);
                        break;
                    case "single_label_classification":
                        loss = Losses.crossEntropy(logits.reshape(-1, numLabels), labels.reshape(-1));
                        break;
                    default:
                        loss = Losses.bceWithLogits(logits, labels);
                }
            }
            return keep(new SequenceClassifierOutput(loss, logits, outputs.hiddenStates(), outputs.attentions()));
        }
    }

    /**
     * The config's {@code problem_type}, or Python's guess when it is unset: "regression" for one label,
     * "single_label_classification" for integer labels, else "multi_label_classification". Python writes its guess
     * into the config; configs are immutable here, so it is made again on each call.
     */
    String problemType(NDArray labels) {
        String configured = config().problemType();
        if (configured != null) {
            return configured;
        }
        if (numLabels == 1) {
            return "regression";
        }
        return isIntegral(labels) ? "single_label_classification" : "multi_label_classification";
    }

    public SequenceClassifierOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
