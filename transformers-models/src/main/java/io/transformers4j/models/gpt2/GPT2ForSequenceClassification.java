package io.transformers4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.modeling.outputs.SequenceClassifierOutputWithPast;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * GPT-2 with a classification head read at each sequence's last token, as causal models do. Port of
 * {@code GPT2ForSequenceClassification}.
 *
 * <p>"Last token" is found as Python finds it: with a {@code pad_token_id}, the position before the first pad token of
 * each row (a row without pads, or starting with one, as left-padded rows do, uses the last position); without one,
 * the last position, and only a batch of one is accepted.
 */
public class GPT2ForSequenceClassification extends PreTrainedModel {

    public static final ModelClass<GPT2Config, GPT2ForSequenceClassification> CLASS = new ModelClass<>(
            "GPT2ForSequenceClassification", GPT2Config.class, "transformer", true, GPT2ForSequenceClassification::new);

    static final Set<String> INPUTS = ModelInputs.names(GPT2Model.INPUTS, "labels");

    private final GPT2Config config;
    private final GPT2Model transformer;
    private final Linear score; // weight (num_labels, hidden), no bias

    public GPT2ForSequenceClassification(GPT2Config config, Weights w) {
        super(config, w);
        this.config = config;
        this.transformer = new GPT2Model(config, w.prefix("transformer"));
        this.score = new Linear(w.prefix("score"), config.hiddenSize(), config.numLabels(), false);
    }

    public static GPT2ForSequenceClassification fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static GPT2ForSequenceClassification fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public GPT2Config config() {
        return config;
    }

    @Override
    public SequenceClassifierOutputWithPast forward(ModelInputs inputs) {
        inputs.requireOnly("GPT2ForSequenceClassification", INPUTS);
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPastAndCrossAttentions t = transformer.run(inputs);
            NDArray logits = score.forward(t.lastHiddenState()); // (B, T, num_labels)
            long batchSize = logits.getShape().get(0);
            long seqLength = logits.getShape().get(1);

            long[] last = sequenceLengths(inputs.inputIds(), batchSize, seqLength);
            NDList rows = new NDList();
            for (int b = 0; b < batchSize; b++) {
                rows.add(logits.get(b, last[b])); // (num_labels)
            }
            NDArray pooled = NDArrays.stack(rows); // (B, num_labels)

            NDArray loss = inputs.labels() == null ? null : loss(pooled, inputs.labels());
            SequenceClassifierOutputWithPast out = new SequenceClassifierOutputWithPast(loss, pooled,
                    t.pastKeyValues(), t.hiddenStates(), t.attentions());
            GPT2Model.keep(out);
            return out;
        }
    }

    public SequenceClassifierOutputWithPast forward(NDArray inputIds) {
        return forward(ModelInputs.builder().inputIds(inputIds).build());
    }

    public SequenceClassifierOutputWithPast forward(NDArray inputIds, NDArray attentionMask) {
        return forward(ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).build());
    }

    /**
     * Python's {@code sequence_lengths}: (argmax(input_ids == pad) - 1) mod seq_len per row, i.e. the token before the
     * first pad, wrapping to the last position when the first pad is at 0 or there is none.
     */
    private long[] sequenceLengths(NDArray inputIds, long batchSize, long seqLength) {
        Integer pad = config.padTokenId();
        if (pad == null && batchSize != 1) {
            throw new IllegalArgumentException("Cannot handle batch sizes > 1 if no padding token is defined: set "
                    + "pad_token_id in the config (e.g. to the eos token id) or pass one sequence at a time.");
        }
        long[] out = new long[Math.toIntExact(batchSize)];
        if (pad == null || inputIds == null) {
            // Without input_ids (inputs_embeds) padding cannot be detected, as in Python: the last position.
            java.util.Arrays.fill(out, seqLength - 1);
            return out;
        }
        long[] ids = inputIds.reshape(batchSize, seqLength).toType(DataType.INT64, false).toLongArray();
        for (int b = 0; b < batchSize; b++) {
            long firstPad = 0; // argmax of an all-false row is 0
            for (int j = 0; j < seqLength; j++) {
                if (ids[(int) (b * seqLength + j)] == pad) {
                    firstPad = j;
                    break;
                }
            }
            out[b] = Math.floorMod(firstPad - 1, seqLength);
        }
        return out;
    }

    /** Python's problem_type dispatch: regression (MSE), single-label (cross-entropy), multi-label (BCE). */
    private NDArray loss(NDArray pooled, NDArray labels) {
        int numLabels = config.numLabels();
        String problemType = config.problemType();
        if (problemType == null) {
            DataType t = labels.getDataType();
            if (numLabels == 1) {
                problemType = "regression";
            } else if (t == DataType.INT64 || t == DataType.INT32) {
                problemType = "single_label_classification";
            } else {
                problemType = "multi_label_classification";
            }
        }
        switch (problemType) {
            case "regression":
                return numLabels == 1 ? Losses.mse(pooled.squeeze(), labels.squeeze()) : Losses.mse(pooled, labels);
            case "single_label_classification":
                return Losses.crossEntropy(pooled.reshape(-1, numLabels), labels.reshape(-1));
            default:
                return Losses.bceWithLogits(pooled, labels);
        }
    }
}
