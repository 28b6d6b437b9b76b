package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;

/**
 * Like {@link RepetitionPenaltyLogitsProcessor} with the inverse penalty on the tokens of the encoder (prompt) input:
 * a penalty above 1 makes them more likely. Port of Python's {@code EncoderRepetitionPenaltyLogitsProcessor}.
 */
public final class EncoderRepetitionPenaltyLogitsProcessor implements LogitsProcessor {
    private final double penalty;
    private final long[][] encoderInputIds;

    public EncoderRepetitionPenaltyLogitsProcessor(double penalty, NDArray encoderInputIds) {
        this(penalty, GenUtil.rows(encoderInputIds, "encoder_input_ids"));
    }

    public EncoderRepetitionPenaltyLogitsProcessor(double penalty, long[][] encoderInputIds) {
        if (!(penalty > 0)) {
            throw new IllegalArgumentException("`penalty` has to be a strictly positive float, but is "
                    + GenUtil.pyFloat(penalty));
        }
        // Python stores 1 / penalty and then applies the ordinary repetition rule with it.
        this.penalty = 1 / penalty;
        this.encoderInputIds = encoderInputIds;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        return RepetitionPenaltyLogitsProcessor.apply(encoderInputIds, scores, (float) penalty);
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
