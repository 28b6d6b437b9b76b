package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Bark: when an EOS probability exceeds {@code minEosP}, every other score becomes -inf. Port of Python's
 * {@code BarkEosPrioritizerLogitsProcessor}.
 */
public final class BarkEosPrioritizerLogitsProcessor implements LogitsProcessor {
    private final int[] eosTokenId;
    private final Double minEosP;

    public BarkEosPrioritizerLogitsProcessor(List<Integer> eosTokenId, Double minEosP) {
        this.eosTokenId = GenUtil.toIntArray(eosTokenId, "eos_token_id");
        if (minEosP != null && minEosP <= 0) {
            throw new IllegalArgumentException("`min_eos_p` has to be a positive float, but is " + GenUtil.pyFloat(minEosP));
        }
        this.minEosP = minEosP;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        if (minEosP == null || minEosP == 0) {
            return scores;
        }
        int v = GenUtil.vocab(scores);
        float[] probs;
        try (NDArray p = scores.softmax(-1)) {
            probs = GenUtil.floats(p);
        }
        float threshold = minEosP.floatValue();
        float[] s = GenUtil.floats(scores);
        int b = s.length / v;
        for (int r = 0; r < b; r++) {
            boolean stop = false;
            for (int e : eosTokenId) {
                stop |= probs[r * v + GenUtil.column(e, v)] > threshold;
            }
            if (stop) {
                float[] keep = new float[eosTokenId.length];
                for (int i = 0; i < keep.length; i++) {
                    keep[i] = s[r * v + GenUtil.column(eosTokenId[i], v)];
                }
                java.util.Arrays.fill(s, r * v, (r + 1) * v, Float.NEGATIVE_INFINITY);
                for (int i = 0; i < keep.length; i++) {
                    s[r * v + GenUtil.column(eosTokenId[i], v)] = keep[i];
                }
            }
        }
        return GenUtil.like(scores, s);
    }
}
