package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.function.IntToDoubleFunction;

/**
 * Eta sampling: removes tokens with probability below {@code min(epsilon, sqrt(epsilon) * exp(-entropy))}. Port of
 * Python's {@code EtaLogitsWarper}; the entropy is torch's {@code Categorical(logits=scores).entropy()} (normalised
 * logits clamped at the float32 minimum), computed in LibTorch in float32.
 */
public final class EtaLogitsWarper implements LogitsWarper {
    private final double epsilon;
    private final float filterValue;
    private final int minTokensToKeep;

    public EtaLogitsWarper(double epsilon) {
        this(epsilon, Float.NEGATIVE_INFINITY, 1);
    }

    public EtaLogitsWarper(double epsilon, float filterValue, int minTokensToKeep) {
        if (epsilon <= 0 || epsilon >= 1 || Double.isNaN(epsilon)) {
            throw new IllegalArgumentException("`eta_cutoff` has to be a float > 0 and < 1, but is "
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
        float[] eta;
        // Python keeps epsilon as a float32 tensor: sqrt and min happen in float32.
        float eps = (float) epsilon;
        float sqrtEps = (float) Math.sqrt(eps);
        try (NDScope scope = new NDScope()) {
            NDArray p = scores.softmax(-1);
            NDArray max = scores.max(new int[] {-1}, true);
            NDArray lse = scores.sub(max).exp().sum(new int[] {-1}, true).log().add(max);
            NDArray logits = scores.sub(lse).clip(-Float.MAX_VALUE, Float.MAX_VALUE);
            NDArray catProbs = logits.softmax(-1);
            NDArray entropy = logits.mul(catProbs).sum(new int[] {-1}).neg();
            NDArray e = entropy.neg().exp().mul(sqrtEps);
            probs = GenUtil.floats(p);
            eta = GenUtil.floats(e);
        }
        for (int i = 0; i < eta.length; i++) {
            eta[i] = Math.min(eps, eta[i]);
        }
        return filter(scores, probs, r -> eta[r], minTokensToKeep, filterValue);
    }

    /** remove = probs < cutoff(row) & scores < k-th largest score (k = min(minTokensToKeep, vocab)). */
    static NDArray filter(NDArray scores, float[] probs, IntToDoubleFunction cutoff, int minTokensToKeep,
            float filterValue) {
        int v = GenUtil.vocab(scores);
        int b = GenUtil.batch(scores);
        int k = Math.min(minTokensToKeep, v);
        float[] s = GenUtil.floats(scores);
        float[] out = s.clone();
        float[] row = new float[v];
        for (int r = 0; r < b; r++) {
            System.arraycopy(s, r * v, row, 0, v);
            float kth = TopKLogitsWarper.kthLargest(row, k);
            float c = (float) cutoff.applyAsDouble(r);
            for (int j = 0; j < v; j++) {
                if (probs[r * v + j] < c && s[r * v + j] < kth) {
                    out[r * v + j] = filterValue;
                }
            }
        }
        return GenUtil.like(scores, out);
    }
}
