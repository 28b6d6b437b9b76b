package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * NEZHA with both pre-training heads: masked-LM logits and next-sentence logits. Port of {@code NezhaForPreTraining}
 * (models/nezha/modeling_nezha.py). Extra arguments: {@code labels} (batch, seq) and {@code next_sentence_label}
 * (batch); the loss is the sum of both cross-entropies when both are given.
 */
public class NezhaForPreTraining extends NezhaPreTrainedModel {

    public static final ModelClass<NezhaConfig, NezhaForPreTraining> CLASS =
            modelClass("NezhaForPreTraining", true, NezhaForPreTraining::new);

    static final Set<String> ARGUMENTS = arguments("labels", "next_sentence_label");

    final NezhaModel nezha;
    private final NezhaLMPredictionHead predictions; // cls.predictions
    private final Linear seqRelationship;            // cls.seq_relationship (2, hidden)

    public NezhaForPreTraining(NezhaConfig config, Weights w) {
        super(config, w);
        this.nezha = new NezhaModel(config, w.prefix("nezha"), true);
        Weights cls = w.prefix("cls");
        this.predictions = new NezhaLMPredictionHead(config, cls.prefix("predictions"), nezha.inputEmbeddings());
        this.seqRelationship = new Linear(cls.prefix("seq_relationship"), config.hiddenSize(), 2, true);
    }

    public static NezhaForPreTraining fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static NezhaForPreTraining fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public NezhaForPreTrainingOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = nezha.run(inputs);
            NDArray predictionScores = predictions.forward(outputs.lastHiddenState()); // (B, T, vocab)
            NDArray seqRelationshipScore = seqRelationship.forward(outputs.poolerOutput()); // (B, 2)
            NDArray labels = inputs.labels();
            NDArray nextSentenceLabel = inputs.tensor("next_sentence_label");
            NDArray totalLoss = null;
            if (labels != null && nextSentenceLabel != null) {
                NDArray maskedLmLoss = Losses.crossEntropy(predictionScores, labels);
                NDArray nextSentenceLoss = Losses.crossEntropy(seqRelationshipScore, nextSentenceLabel);
                totalLoss = maskedLmLoss.add(nextSentenceLoss);
            }
            return keep(new NezhaForPreTrainingOutput(totalLoss, predictionScores, seqRelationshipScore,
                    outputs.hiddenStates(), outputs.attentions()));
        }
    }

    public NezhaForPreTrainingOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
