package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;

/** Log-softmax over the vocabulary. Port of Python's {@code LogitNormalization} (a processor and a warper). */
public final class LogitNormalization implements LogitsWarper {

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        return scores.logSoftmax(-1);
    }
}
