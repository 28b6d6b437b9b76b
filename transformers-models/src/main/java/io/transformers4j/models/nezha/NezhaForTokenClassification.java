package io.transformers4j.models.nezha;

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
 * NEZHA with a linear classifier on every token (named-entity recognition). Port of
 * {@code NezhaForTokenClassification}. Extra argument: {@code labels} (batch, seq), -100 where ignored.
 */
public class NezhaForTokenClassification extends NezhaPreTrainedModel {

    public static final ModelClass<NezhaConfig, NezhaForTokenClassification> CLASS =
            modelClass("NezhaForTokenClassification", true, NezhaForTokenClassification::new);

    static final Set<String> ARGUMENTS = arguments("labels");

    final NezhaModel nezha;
    private final Linear classifier; // (num_labels, hidden)
    private final int numLabels;

    public NezhaForTokenClassification(NezhaConfig config, Weights w) {
        super(config, w);
        this.numLabels = config.numLabels();
        this.nezha = new NezhaModel(config, w.prefix("nezha"), false);
        this.classifier = new Linear(w.prefix("classifier"), config.hiddenSize(), numLabels, true);
    }

    public static NezhaForTokenClassification fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static NezhaForTokenClassification fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public TokenClassifierOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = nezha.run(inputs);
            NDArray logits = classifier.forward(outputs.lastHiddenState()); // (B, T, num_labels)
            NDArray labels = inputs.labels();
            NDArray loss = labels == null ? null
                    : Losses.crossEntropy(logits.reshape(-1, numLabels), labels.reshape(-1));
            return keep(new TokenClassifierOutput(loss, logits, outputs.hiddenStates(), outputs.attentions()));
        }
    }

    public TokenClassifierOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
