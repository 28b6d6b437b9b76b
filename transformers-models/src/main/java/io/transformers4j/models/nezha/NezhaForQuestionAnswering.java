package io.transformers4j.models.nezha;

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
 * NEZHA for extractive question answering: start and end logits of the answer span at every token. Port of
 * {@code NezhaForQuestionAnswering}. Extra arguments: {@code start_positions}, {@code end_positions} (batch).
 */
public class NezhaForQuestionAnswering extends NezhaPreTrainedModel {

    public static final ModelClass<NezhaConfig, NezhaForQuestionAnswering> CLASS =
            modelClass("NezhaForQuestionAnswering", true, NezhaForQuestionAnswering::new);

    static final Set<String> ARGUMENTS = arguments("start_positions", "end_positions");

    final NezhaModel nezha;
    private final Linear qaOutputs; // (num_labels = 2, hidden)

    public NezhaForQuestionAnswering(NezhaConfig config, Weights w) {
        super(config, w);
        this.nezha = new NezhaModel(config, w.prefix("nezha"), false);
        this.qaOutputs = new Linear(w.prefix("qa_outputs"), config.hiddenSize(), config.numLabels(), true);
    }

    public static NezhaForQuestionAnswering fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static NezhaForQuestionAnswering fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public QuestionAnsweringModelOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = nezha.run(inputs);
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

    public QuestionAnsweringModelOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
