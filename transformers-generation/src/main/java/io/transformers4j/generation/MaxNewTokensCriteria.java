package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;

/**
 * Done once {@code maxNewTokens} tokens follow the first {@code startLength}. Port of Python's (deprecated)
 * {@code MaxNewTokensCriteria}; equivalent to {@code MaxLengthCriteria(startLength + maxNewTokens)}.
 */
public final class MaxNewTokensCriteria implements StoppingCriteria {
    private final int startLength;
    private final int maxNewTokens;
    private final int maxLength;

    public MaxNewTokensCriteria(int startLength, int maxNewTokens) {
        this.startLength = startLength;
        this.maxNewTokens = maxNewTokens;
        this.maxLength = startLength + maxNewTokens;
    }

    public int maxLength() { return maxLength; }
    public int startLength() { return startLength; }
    public int maxNewTokens() { return maxNewTokens; }

    @Override
    public boolean[] isDone(NDArray inputIds, NDArray scores) {
        return StoppingCriteria.full(inputIds, GenUtil.seqLen(inputIds) >= maxLength);
    }
}
