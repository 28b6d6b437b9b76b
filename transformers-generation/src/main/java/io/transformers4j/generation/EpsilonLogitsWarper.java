package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;

/**
 * Epsilon sampling: removes tokens with probability below {@code epsilon}, keeping at least the
 * {@code minTokensToKeep} most likely. Port of Python's {@code EpsilonLogitsWarper}.
 */
public final class EpsilonLogitsWarper implements LogitsWarper {
    private final double epsilon;
    private final float filterValue;
    private final int minTokensToKeep;

    public EpsilonLogitsWarper(double epsilon) {
        this(epsilon, Float.NEGATIVE_INFINITY, 1);
    }

    public EpsilonLogitsWarper(double epsilon, float filterValue, int minTokensToKeep) {
        if (epsilon <= 0 || epsilon >= 1 || Double.isNaN(epsilon)) {
            throw new IllegalArgumentException("`epsilon_cutoff` has to be a float > 0 and < 1, but is "
                    + GenUtil.pyFloat(epsilon));
        }
        if (minTokensToKeep < 1) {
            throw new IllegalArgumentException("`min_tokens_to_keep` has to be a strictly positive integer, but is "
                    + minTokensToKeep);
        }
        this.epsilon = epsilon;
        this.filterValue = filterValue;
        this.minTokensToKeep = minTokensToKeep;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        float[] probs;
        try (NDArray p = scores.softmax(-1)) {
            probs = GenUtil.floats(p);
        }
        float eps = (float) epsilon;
        return EtaLogitsWarper.filter(scores, probs, r -> eps, minTokensToKeep, filterValue);
    }
}
