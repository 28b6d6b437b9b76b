package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Typical decoding: keeps the tokens whose surprisal is closest to the entropy until their probabilities add up to
 * {@code mass}. Port of Python's {@code TypicalLogitsWarper}; the numerics (log-softmax, entropy, sort, cumulative
 * sum) run in LibTorch as in Python.
 */
public final class TypicalLogitsWarper implements LogitsWarper {
    private final double mass;
    private final float filterValue;
    private final int minTokensToKeep;

    public TypicalLogitsWarper(double mass) {
        this(mass, Float.NEGATIVE_INFINITY, 1);
    }

    public TypicalLogitsWarper(double mass, float filterValue, int minTokensToKeep) {
        if (!(mass > 0 && mass < 1)) {
            throw new IllegalArgumentException("`typical_p` has to be a float > 0 and < 1, but is " + GenUtil.pyFloat(mass));
        }
        if (minTokensToKeep < 1) {
            throw new IllegalArgumentException("`min_tokens_to_keep` has to be a positive integer, but is "
                    + minTokensToKeep);
        }
        this.mass = mass;
        this.filterValue = filterValue;
        this.minTokensToKeep = minTokensToKeep;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int v = GenUtil.vocab(scores);
        int b = GenUtil.batch(scores);
        float[] sortedShift;
        float[] cum;
        long[] order;
        try (NDScope scope = new NDScope()) {
            NDArray normalized = scores.logSoftmax(-1);
            NDArray p = normalized.exp();
            NDArray prod = normalized.mul(p);
            // nansum: -inf * 0 is nan for masked tokens and must not count.
            NDArray zeroed = prod.duplicate();
            zeroed.set(prod.isNaN(), 0f);
            NDArray ent = zeroed.sum(new int[] {-1}, true).neg();
            NDArray shifted = normalized.neg().sub(ent).abs();
            NDArray sortedIdx = shifted.argSort(-1, true);
            NDArray sortedScores = shifted.gather(sortedIdx, -1);
            NDArray sortedLogits = scores.gather(sortedIdx, -1);
            cum = GenUtil.floats(sortedLogits.softmax(-1).cumSum(-1));
            sortedShift = GenUtil.floats(sortedScores);
            order = sortedIdx.toLongArray();
        }
        float m = (float) mass;
        float[] s = GenUtil.floats(scores);
        for (int r = 0; r < b; r++) {
            int lastInd = 0;
            for (int j = 0; j < v; j++) {
                if (cum[r * v + j] < m) {
                    lastInd++;
                }
            }
            lastInd = Math.min(lastInd, v - 1);
            float limit = sortedShift[r * v + lastInd];
            for (int j = minTokensToKeep; j < v; j++) {
                if (sortedShift[r * v + j] > limit) {
                    s[r * v + (int) order[r * v + j]] = filterValue;
                }
            }
        }
        return GenUtil.like(scores, s);
    }
}
