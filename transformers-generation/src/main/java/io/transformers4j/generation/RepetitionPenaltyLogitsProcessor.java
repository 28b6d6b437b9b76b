package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;

/**
 * Penalises tokens already present in {@code input_ids} (once per token): negative scores are multiplied by the
 * penalty, positive ones divided. Port of Python's {@code RepetitionPenaltyLogitsProcessor}.
 */
public final class RepetitionPenaltyLogitsProcessor implements LogitsProcessor {
    private final double penalty;

    public RepetitionPenaltyLogitsProcessor(double penalty) {
        if (!(penalty > 0)) {
            throw new IllegalArgumentException("`penalty` has to be a strictly positive float, but is "
                    + GenUtil.pyFloat(penalty));
        }
        this.penalty = penalty;
    }

    public double penalty() { return penalty; }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        return apply(GenUtil.rows(inputIds, "input_ids"), scores, (float) penalty);
    }

    /** gather -> where(score < 0, score * p, score / p) -> scatter, all reading the original scores. */
    static NDArray apply(long[][] ids, NDArray scores, float p) {
        int v = GenUtil.vocab(scores);
        int b = GenUtil.batch(scores);
        float[] orig = GenUtil.floats(scores);
        float[] out = orig.clone();
        for (int r = 0; r < Math.min(b, ids.length); r++) {
            for (long t : ids[r]) {
                int c = GenUtil.column(t, v);
                float s = orig[r * v + c];
                out[r * v + c] = s < 0 ? s * p : s / p;
            }
        }
        return GenUtil.like(scores, out);
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
