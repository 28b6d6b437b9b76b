package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Suppresses {@code beginSuppressTokens} at the first generated position ({@code input_ids} length ==
 * {@code beginIndex}). Port of Python's {@code SuppressTokensAtBeginLogitsProcessor}.
 */
public final class SuppressTokensAtBeginLogitsProcessor implements LogitsProcessor {
    private final int[] beginSuppressTokens;
    private volatile int beginIndex;

    public SuppressTokensAtBeginLogitsProcessor(List<Integer> beginSuppressTokens, int beginIndex) {
        this.beginSuppressTokens = GenUtil.toIntArray(beginSuppressTokens, "begin_suppress_tokens");
        this.beginIndex = beginIndex;
    }

    public void setBeginIndex(int beginIndex) {
        this.beginIndex = beginIndex;
    }

    public int beginIndex() { return beginIndex; }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        if (GenUtil.seqLen(inputIds) == beginIndex) {
            return GenUtil.fillColumns(scores, beginSuppressTokens, Float.NEGATIVE_INFINITY);
        }
        return scores;
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
