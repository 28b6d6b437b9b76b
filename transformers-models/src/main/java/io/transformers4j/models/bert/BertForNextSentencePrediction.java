package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.modeling.outputs.NextSentencePredictorOutput;
import io.transformers4j.nn.Losses;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * BERT with the next-sentence-prediction head: logits (batch, 2), index 0 = "sentence B continues A". Port of
 * {@code BertForNextSentencePrediction}. Extra argument: {@code labels} (batch) in {0, 1} (the deprecated name
 * {@code next_sentence_label} is accepted too, as in Python).
 */
public class BertForNextSentencePrediction extends BertPreTrainedModel {

    public static final ModelClass<BertConfig, BertForNextSentencePrediction> CLASS =
            modelClass("BertForNextSentencePrediction", true, BertForNextSentencePrediction::new);

    static final Set<String> ARGUMENTS = arguments("labels", "next_sentence_label");

    final BertModel bert;
    final BertOnlyNSPHead cls;

    public BertForNextSentencePrediction(BertConfig config, Weights w) {
        super(config, w);
        this.bert = new BertModel(config, w.prefix("bert"), true);
        this.cls = new BertOnlyNSPHead(config, w.prefix("cls"));
    }

    public static BertForNextSentencePrediction fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static BertForNextSentencePrediction fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public NextSentencePredictorOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        NDArray labels = inputs.has("next_sentence_label") ? inputs.tensor("next_sentence_label") : inputs.labels();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = bert.run(inputs);
            NDArray seqRelationshipScores = cls.forward(outputs.poolerOutput());
            NDArray loss = labels == null ? null : Losses.crossEntropy(seqRelationshipScores, labels);
            return keep(new NextSentencePredictorOutput(loss, seqRelationshipScores, outputs.hiddenStates(),
                    outputs.attentions()));
        }
    }

    public NextSentencePredictorOutput forward(NDArray inputIds) {
        return forward(inputs(inputIds, null, null));
    }

    public NextSentencePredictorOutput forward(NDArray inputIds, NDArray attentionMask) {
        return forward(inputs(inputIds, attentionMask, null));
    }

    public NextSentencePredictorOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
