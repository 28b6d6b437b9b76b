package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.nn.Losses;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * BERT with both pre-training heads: masked LM and next-sentence prediction. Port of {@code BertForPreTraining}.
 * Extra arguments: {@code labels} (batch, seq) with -100 = ignored, and {@code next_sentence_label} (batch); the loss
 * is their sum and needs both.
 */
public class BertForPreTraining extends BertPreTrainedModel {

    public static final ModelClass<BertConfig, BertForPreTraining> CLASS =
            modelClass("BertForPreTraining", true, BertForPreTraining::new);

    static final Set<String> ARGUMENTS = arguments("labels", "next_sentence_label");

    final BertModel bert;
    final BertPreTrainingHeads cls;

    public BertForPreTraining(BertConfig config, Weights w) {
        super(config, w);
        this.bert = new BertModel(config, w.prefix("bert"), true);
        this.cls = new BertPreTrainingHeads(config, w.prefix("cls"), bert.inputEmbeddings());
    }

    public static BertForPreTraining fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static BertForPreTraining fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public BertForPreTrainingOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = bert.run(inputs);
            NDArray[] scores = cls.forward(outputs.lastHiddenState(), outputs.poolerOutput());
            NDArray labels = inputs.labels();
            NDArray nextSentenceLabel = inputs.tensor("next_sentence_label");
            NDArray totalLoss = null;
            if (labels != null && nextSentenceLabel != null) {
                NDArray maskedLmLoss = Losses.crossEntropy(scores[0], labels);
                NDArray nextSentenceLoss = Losses.crossEntropy(scores[1], nextSentenceLabel);
                totalLoss = maskedLmLoss.add(nextSentenceLoss);
            }
            return keep(new BertForPreTrainingOutput(totalLoss, scores[0], scores[1], outputs.hiddenStates(),
                    outputs.attentions()));
        }
    }

    public BertForPreTrainingOutput forward(NDArray inputIds) {
        return forward(inputs(inputIds, null, null));
    }

    public BertForPreTrainingOutput forward(NDArray inputIds, NDArray attentionMask) {
        return forward(inputs(inputIds, attentionMask, null));
    }

    public BertForPreTrainingOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
