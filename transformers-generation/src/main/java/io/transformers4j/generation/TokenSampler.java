package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.Random;

/**
 * Draws one token per row from {@code softmax(scores)} with a caller-supplied (seedable) generator: the
 * {@code torch.multinomial(probs, num_samples=1)} step of sampling, which DJL lacks. Draws are reproducible for a
 * seed but are not torch's random stream. Tokens with probability 0 (score -inf) are never drawn.
 */
public final class TokenSampler {
    private TokenSampler() {}

    public static long[] sample(NDArray scores, Random rng) {
        int v = GenUtil.vocab(scores);
        float[] probs;
        try (NDArray p = scores.softmax(-1)) {
            probs = GenUtil.floats(p);
        }
        int b = probs.length / v;
        long[] out = new long[b];
        for (int r = 0; r < b; r++) {
            double total = 0;
            for (int j = 0; j < v; j++) {
                total += probs[r * v + j];
            }
            if (!(total > 0) || Double.isNaN(total)) {
                throw new IllegalArgumentException("probability tensor contains either `inf`, `nan` or element < 0 "
                        + "(row " + r + ")");
            }
            double u = rng.nextDouble() * total;
            double acc = 0;
            int pick = -1;
            for (int j = 0; j < v; j++) {
                float p = probs[r * v + j];
                if (p <= 0) {
                    continue;
                }
                acc += p;
                pick = j;
                if (u < acc) {
                    break;
                }
            }
            out[r] = pick;
        }
        return out;
    }

    /**
     * {@code torch.multinomial(softmax(scores), numSamples, replacement=False)} per row (beam sample draws
     * {@code 2 * num_beams} distinct candidates): each draw picks among the tokens not drawn yet, in proportion to
     * their probability. Reproducible for a seed, not torch's stream. Rows: (batch, n) scores -> (batch, numSamples).
     */
    public static long[][] sampleWithoutReplacement(NDArray scores, int numSamples, Random rng) {
        int v = GenUtil.vocab(scores);
        float[] probs;
        try (NDArray p = scores.softmax(-1)) {
            probs = GenUtil.floats(p);
        }
        int b = probs.length / v;
        long[][] out = new long[b][numSamples];
        for (int r = 0; r < b; r++) {
            double[] remaining = new double[v];
            int positive = 0;
            for (int j = 0; j < v; j++) {
                float p = probs[r * v + j];
                if (Float.isNaN(p) || p < 0 || Float.isInfinite(p)) {
                    throw new IllegalArgumentException("probability tensor contains either `inf`, `nan` or element < 0 "
                            + "(row " + r + ")");
                }
                remaining[j] = p;
                if (p > 0) {
                    positive++;
                }
            }
            if (positive < numSamples) {
                throw new IllegalArgumentException("invalid multinomial distribution (with replacement=False, not "
                        + "enough non-negative category to sample)");
            }
            for (int n = 0; n < numSamples; n++) {
                double total = 0;
                for (double p : remaining) {
                    total += p;
                }
                double u = rng.nextDouble() * total;
                double acc = 0;
                int pick = -1;
                for (int j = 0; j < v; j++) {
                    if (remaining[j] <= 0) {
                        continue;
                    }
                    acc += remaining[j];
                    pick = j;
                    if (u < acc) {
                        break;
                    }
                }
                out[r][n] = pick;
                remaining[pick] = 0;
            }
        }
        return out;
    }
}
