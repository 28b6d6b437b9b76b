package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.Arrays;

/**
 * Keeps the {@code topK} highest scores (ties with the k-th value kept, as {@code scores < topk(...)[-1]} does).
 * Port of Python's {@code TopKLogitsWarper}; {@code top_k = max(top_k, min_tokens_to_keep)}, capped at the vocabulary.
 */
public final class TopKLogitsWarper implements LogitsWarper {
    private final int topK;
    private final float filterValue;

    public TopKLogitsWarper(int topK) {
        this(topK, Float.NEGATIVE_INFINITY, 1);
    }

    public TopKLogitsWarper(int topK, float filterValue, int minTokensToKeep) {
        if (topK <= 0) {
            throw new IllegalArgumentException("`top_k` has to be a strictly positive integer, but is " + topK);
        }
        this.topK = Math.max(topK, minTokensToKeep);
        this.filterValue = filterValue;
    }

    public int topK() { return topK; }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int v = GenUtil.vocab(scores);
        int b = GenUtil.batch(scores);
        int k = Math.min(topK, v);
        float[] s = GenUtil.floats(scores);
        float[] row = new float[v];
        for (int r = 0; r < b; r++) {
            System.arraycopy(s, r * v, row, 0, v);
            float kth = kthLargest(row, k);
            for (int j = 0; j < v; j++) {
                if (s[r * v + j] < kth) {
                    s[r * v + j] = filterValue;
                }
            }
        }
        return GenUtil.like(scores, s);
    }

    /**
     * The k-th largest value of {@code row} (sorted in place). Arrays.sort orders NaN last, i.e. as the largest
     * value, which is where torch.topk puts it too.
     */
    static float kthLargest(float[] row, int k) {
        Arrays.sort(row);
        return row[row.length - k];
    }
}
