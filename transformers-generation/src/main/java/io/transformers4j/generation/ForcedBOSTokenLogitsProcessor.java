package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;

/** Forces {@code bosTokenId} as the first generated token (length 1). Port of {@code ForcedBOSTokenLogitsProcessor}. */
public final class ForcedBOSTokenLogitsProcessor implements LogitsProcessor {
    private final int bosTokenId;

    public ForcedBOSTokenLogitsProcessor(int bosTokenId) {
        this.bosTokenId = bosTokenId;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        if (GenUtil.seqLen(inputIds) != 1) {
            return scores;
        }
        return forceOnly(scores, new int[] {bosTokenId});
    }

    /** Every column -inf except {@code tokens}, which become 0. */
    static NDArray forceOnly(NDArray scores, int[] tokens) {
        int v = GenUtil.vocab(scores);
        float[] s = new float[(int) scores.size()];
        java.util.Arrays.fill(s, Float.NEGATIVE_INFINITY);
        int b = s.length / Math.max(v, 1);
        for (int t : tokens) {
            int c = GenUtil.column(t, v);
            for (int r = 0; r < b; r++) {
                s[r * v + c] = 0f;
            }
        }
        return GenUtil.like(scores, s);
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
