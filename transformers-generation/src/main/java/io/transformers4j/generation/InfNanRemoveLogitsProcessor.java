package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;

/**
 * Replaces nan by 0 and +/-inf by the largest / smallest float32. Port of Python's
 * {@code InfNanRemoveLogitsProcessor}.
 */
public final class InfNanRemoveLogitsProcessor implements LogitsProcessor {

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        float[] s = GenUtil.floats(scores);
        for (int i = 0; i < s.length; i++) {
            if (Float.isNaN(s[i])) {
                s[i] = 0f;
            } else if (s[i] == Float.POSITIVE_INFINITY) {
                s[i] = Float.MAX_VALUE;
            } else if (s[i] == Float.NEGATIVE_INFINITY) {
                s[i] = -Float.MAX_VALUE;
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
