package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.modeling.outputs.QuestionAnsweringModelOutput;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * BERT for extractive question answering (SQuAD): per-token span start and end logits. Port of
 * {@code BertForQuestionAnswering}. Extra arguments: {@code start_positions}, {@code end_positions} (batch); the
 * loss is the mean of the two cross-entropies, and positions outside the sequence are ignored.
 */
public class BertForQuestionAnswering extends BertPreTrainedModel {

    public static final ModelClass<BertConfig, BertForQuestionAnswering> CLASS =
            modelClass("BertForQuestionAnswering", true, BertForQuestionAnswering::new);

    static final Set<String> ARGUMENTS = arguments("start_positions", "end_positions");

    final BertModel bert;
    final Linear qaOutputs; // (num_labels = 2, hidden)

    public BertForQuestionAnswering(BertConfig config, Weights w) {
        super(config, w);
        if (config.numLabels() != 2) {
            // Python's `start_logits, end_logits = logits.split(1, dim=-1)` only unpacks with two labels.
            throw new IllegalArgumentException("BertForQuestionAnswering needs num_labels = 2 (start, end), the config "
                    + "has " + config.numLabels());
        }
        this.bert = new BertModel(config, w.prefix("bert"), false);
        this.qaOutputs = new Linear(w.prefix("qa_outputs"), config.hiddenSize(), config.numLabels(), true);
    }

    public static BertForQuestionAnswering fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static BertForQuestionAnswering fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public QuestionAnsweringModelOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = bert.run(inputs);
            NDArray logits = qaOutputs.forward(outputs.lastHiddenState()); // (B, T, 2)
            NDArray startLogits = logits.get("..., 0"); // (B, T)
            NDArray endLogits = logits.get("..., 1");
            NDArray startPositions = inputs.tensor("start_positions");
            NDArray endPositions = inputs.tensor("end_positions");
            NDArray totalLoss = null;
            if (startPositions != null && endPositions != null) {
                long ignoredIndex = startLogits.getShape().get(1);
                NDArray startLoss = Losses.crossEntropy(startLogits, clampPositions(startPositions, ignoredIndex));
                NDArray endLoss = Losses.crossEntropy(endLogits, clampPositions(endPositions, ignoredIndex));
                totalLoss = startLoss.add(endLoss).div(2f);
            }
            return keep(new QuestionAnsweringModelOutput(totalLoss, startLogits, endLogits, outputs.hiddenStates(),
                    outputs.attentions()));
        }
    }

    /**
     * Python clamps positions to [0, seq_len] and gives CrossEntropyLoss ignore_index = seq_len, so positions outside
     * the input count for nothing. Our cross-entropy ignores -100: clamped positions equal to seq_len become -100.
     */
    private static NDArray clampPositions(NDArray positions, long seqLen) {
        NDArray p = positions.getShape().dimension() > 1 ? positions.squeeze(-1) : positions; // (B, 1) -> (B)
        NDArray clamped = p.toType(DataType.INT64, false).clip(0, seqLen).toType(DataType.INT64, false);
        NDArray ignored = clamped.eq(seqLen).toType(DataType.INT64, false); // 1 where ignored
        return clamped.sub(ignored.mul(seqLen - Losses.IGNORE_INDEX));
    }

    public QuestionAnsweringModelOutput forward(NDArray inputIds) {
        return forward(inputs(inputIds, null, null));
    }

    public QuestionAnsweringModelOutput forward(NDArray inputIds, NDArray attentionMask) {
        return forward(inputs(inputIds, attentionMask, null));
    }

    public QuestionAnsweringModelOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
