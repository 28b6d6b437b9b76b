package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;

/**
 * Keeps the smallest set of most probable tokens whose probabilities add up to {@code topP}. Port of Python's
 * {@code TopPLogitsWarper}: ascending torch sort, float32 softmax and cumulative sum in LibTorch, tokens with
 * cumulative probability {@code <= 1 - top_p} removed, the last {@code minTokensToKeep} always kept.
 */
public final class TopPLogitsWarper implements LogitsWarper {
    private final double topP;
    private final float filterValue;
    private final int minTokensToKeep;

    public TopPLogitsWarper(double topP) {
        this(topP, Float.NEGATIVE_INFINITY, 1);
    }

    public TopPLogitsWarper(double topP, float filterValue, int minTokensToKeep) {
        if (topP < 0 || topP > 1.0 || Double.isNaN(topP)) {
            throw new IllegalArgumentException("`top_p` has to be a float > 0 and < 1, but is " + GenUtil.pyFloat(topP));
        }
        if (minTokensToKeep < 1) {
            throw new IllegalArgumentException("`min_tokens_to_keep` has to be a positive integer, but is "
                    + minTokensToKeep);
        }
        this.topP = topP;
        this.filterValue = filterValue;
        this.minTokensToKeep = minTokensToKeep;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int v = GenUtil.vocab(scores);
        int b = GenUtil.batch(scores);
        float[] cum;
        long[] order;
        try (NDScope scope = new NDScope()) {
            NDArray sortedIdx = scores.argSort(-1, true);
            NDArray sorted = scores.gather(sortedIdx, -1);
            cum = GenUtil.floats(sorted.softmax(-1).cumSum(-1));
            order = sortedIdx.toLongArray();
        }
        // torch compares a float32 tensor with a Python float in float32.
        float threshold = (float) (1 - topP);
        float[] s = GenUtil.floats(scores);
        for (int r = 0; r < b; r++) {
            for (int j = 0; j < v - minTokensToKeep; j++) {
                if (cum[r * v + j] <= threshold) {
                    s[r * v + (int) order[r * v + j]] = filterValue;
                }
            }
        }
        return GenUtil.like(scores, s);
    }
}
