package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.modeling.outputs.TokenClassifierOutput;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * BERT with a linear classifier on every token's hidden state (NER, POS tagging). Port of
 * {@code BertForTokenClassification}. Extra argument: {@code labels} (batch, seq), -100 = ignored.
 */
public class BertForTokenClassification extends BertPreTrainedModel {

    public static final ModelClass<BertConfig, BertForTokenClassification> CLASS =
            modelClass("BertForTokenClassification", true, BertForTokenClassification::new);

    static final Set<String> ARGUMENTS = arguments("labels");

    final BertModel bert;
    final Linear classifier; // (num_labels, hidden)
    private final int numLabels;

    public BertForTokenClassification(BertConfig config, Weights w) {
        super(config, w);
        this.numLabels = config.numLabels();
        this.bert = new BertModel(config, w.prefix("bert"), false);
        this.classifier = new Linear(w.prefix("classifier"), config.hiddenSize(), numLabels, true);
    }

    public static BertForTokenClassification fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static BertForTokenClassification fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public TokenClassifierOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = bert.run(inputs);
            NDArray logits = classifier.forward(outputs.lastHiddenState()); // (B, T, num_labels)
            NDArray labels = inputs.labels();
            NDArray loss = labels == null ? null
                    : Losses.crossEntropy(logits.reshape(-1, numLabels), labels.reshape(-1));
            return keep(new TokenClassifierOutput(loss, logits, outputs.hiddenStates(), outputs.attentions()));
        }
    }

    public TokenClassifierOutput forward(NDArray inputIds) {
        return forward(inputs(inputIds, null, null));
    }

    public TokenClassifierOutput forward(NDArray inputIds, NDArray attentionMask) {
        return forward(inputs(inputIds, attentionMask, null));
    }

    public TokenClassifierOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
