package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;

/**
 * Done once {@code maxTime} seconds have passed since construction (or since {@code initialTimestamp}, in seconds
 * of {@link System#currentTimeMillis()} / 1000). Port of Python's {@code MaxTimeCriteria}.
 */
public final class MaxTimeCriteria implements StoppingCriteria {
    private final double maxTime;
    private final double initialTimestamp;

    public MaxTimeCriteria(double maxTime) {
        this(maxTime, null);
    }

    public MaxTimeCriteria(double maxTime, Double initialTimestamp) {
        this.maxTime = maxTime;
        this.initialTimestamp = initialTimestamp == null ? now() : initialTimestamp;
    }

    private static double now() {
        return System.currentTimeMillis() / 1000.0;
    }

    @Override
    public boolean[] isDone(NDArray inputIds, NDArray scores) {
        return StoppingCriteria.full(inputIds, now() - initialTimestamp > maxTime);
    }
}
