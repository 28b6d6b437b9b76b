package io.transformers4j.models.bert;

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
 * BERT with a linear classifier (or regressor) over the pooled [CLS] output. Port of
 * {@code BertForSequenceClassification} (modeling_bert.py). Extra argument: {@code labels} (batch), whose loss follows
 * {@link #problemType}.
 */
public class BertForSequenceClassification extends BertPreTrainedModel {

    public static final ModelClass<BertConfig, BertForSequenceClassification> CLASS =
            modelClass("BertForSequenceClassification", true, BertForSequenceClassification::new);

    static final Set<String> ARGUMENTS = arguments("labels");

    final BertModel bert;
    final Linear classifier; // (num_labels, hidden)
    private final int numLabels;

    public BertForSequenceClassification(BertConfig config, Weights w) {
        super(config, w);
        this.numLabels = config.numLabels();
        this.bert = new BertModel(config, w.prefix("bert"), true);
        this.classifier = new Linear(w.prefix("classifier"), config.hiddenSize(), numLabels, true);
    }

    public static BertForSequenceClassification fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static BertForSequenceClassification fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public SequenceClassifierOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = bert.run(inputs);
            NDArray logits = classifier.forward(outputs.poolerOutput()); // (B, num_labels)
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
     * "single_label_classification" for integer labels, else "multi_label_classification" (float multi-hot labels).
     * Python writes its guess into the config; our configs are immutable, so it is made again on each call.
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

    public SequenceClassifierOutput forward(NDArray inputIds) {
        return forward(inputs(inputIds, null, null));
    }

    public SequenceClassifierOutput forward(NDArray inputIds, NDArray attentionMask) {
        return forward(inputs(inputIds, attentionMask, null));
    }

    public SequenceClassifierOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
