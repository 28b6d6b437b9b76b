package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Done once the sequences (prompt included) reach {@code maxLength}. Port of Python's {@code MaxLengthCriteria}. */
public final class MaxLengthCriteria implements StoppingCriteria {
    private static final Logger LOG = LoggerFactory.getLogger(MaxLengthCriteria.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private final int maxLength;
    private final Integer maxPositionEmbeddings;

    public MaxLengthCriteria(int maxLength) {
        this(maxLength, null);
    }

    public MaxLengthCriteria(int maxLength, Integer maxPositionEmbeddings) {
        this.maxLength = maxLength;
        this.maxPositionEmbeddings = maxPositionEmbeddings;
    }

    public int maxLength() { return maxLength; }

    @Override
    public boolean[] isDone(NDArray inputIds, NDArray scores) {
        int curLen = GenUtil.seqLen(inputIds);
        boolean done = curLen >= maxLength;
        if (maxPositionEmbeddings != null && !done && curLen >= maxPositionEmbeddings && WARNED.compareAndSet(false, true)) {
            LOG.warn("This is a friendly reminder - the current text generation call will exceed the model's predefined "
                    + "maximum length ({}). Depending on the model, you may observe exceptions, performance degradation, "
                    + "or nothing at all.", maxPositionEmbeddings);
        }
        return StoppingCriteria.full(inputIds, done);
    }
}
