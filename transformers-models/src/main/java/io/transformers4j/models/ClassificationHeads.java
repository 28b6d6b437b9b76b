package io.transformers4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.nn.Losses;
import java.util.Arrays;

/**
 * The code every decoder's {@code XForSequenceClassification.forward} repeats in Python (Llama, Mistral, Persimmon,
 * ...): pool the logits at each row's last real token, then the problem-type loss.
 */
public final class ClassificationHeads {
    private ClassificationHeads() {}

    /**
     * {@code logits[arange(batch), sequence_lengths]} with Python's {@code sequence_lengths}: with a pad_token_id,
     * {@code (argmax(input_ids == pad) - 1) % seq_len}, the token before each row's first pad (the last position for a
     * row without pads, or starting with one as left-padded rows do); without input_ids (inputs_embeds) the last
     * position. Without a pad_token_id only a batch of one is accepted.
     *
     * @param logits (batch, seq, num_labels)
     * @param inputIds (batch, seq), or null
     * @return (batch, num_labels)
     */
    public static NDArray poolLastToken(NDArray logits, NDArray inputIds, PretrainedConfig config) {
        long batchSize = logits.getShape().get(0);
        long seqLength = logits.getShape().get(1);
        Integer pad = config.padTokenId();
        if (pad == null && batchSize != 1) {
            throw new IllegalArgumentException("Cannot handle batch sizes > 1 if no padding token is defined: set "
                    + "pad_token_id in the config (e.g. to the eos token id) or pass one sequence at a time.");
        }
        long[] last = new long[Math.toIntExact(batchSize)];
        Arrays.fill(last, seqLength - 1);
        if (pad != null && inputIds != null) {
            long[] ids = inputIds.reshape(batchSize, seqLength).toType(DataType.INT64, false).toLongArray();
            for (int b = 0; b < batchSize; b++) {
                long firstPad = 0; // argmax of an all-false row is 0
                for (int j = 0; j < seqLength; j++) {
                    if (ids[(int) (b * seqLength + j)] == pad) {
                        firstPad = j;
                        break;
                    }
                }
                last[b] = Math.floorMod(firstPad - 1, seqLength);
            }
        }
        NDList rows = new NDList();
        for (int b = 0; b < batchSize; b++) {
            rows.add(logits.get(b, last[b])); // (num_labels)
        }
        return NDArrays.stack(rows); // (B, num_labels)
    }

    /**
     * Python's problem_type dispatch: regression (MSE), single-label (cross-entropy over integer labels), multi-label
     * (BCE with logits); inferred from num_labels and the labels' type when the config has no problem_type.
     */
    public static NDArray loss(NDArray pooled, NDArray labels, PretrainedConfig config) {
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
