package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** Sets the scores of {@code suppressTokens} to -inf. Port of Python's {@code SuppressTokensLogitsProcessor}. */
public final class SuppressTokensLogitsProcessor implements LogitsProcessor {
    private final int[] suppressTokens;

    public SuppressTokensLogitsProcessor(List<Integer> suppressTokens) {
        this.suppressTokens = GenUtil.toIntArray(suppressTokens, "suppress_tokens");
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        return GenUtil.fillColumns(scores, suppressTokens, Float.NEGATIVE_INFINITY);
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
