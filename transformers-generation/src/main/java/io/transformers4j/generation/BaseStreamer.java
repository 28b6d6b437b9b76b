package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * Receives tokens as generate() produces them: first the prompt, then each new token; {@link #end()} once done.
 * Port of Python's {@code BaseStreamer}; implement it for a custom callback.
 */
public interface BaseStreamer {

    /** Tokens of the single row being generated (Python's {@code put(value)} with batch size 1). */
    void put(long[] tokenIds);

    /** A (1, n) or (n,) tensor of tokens; batch sizes above 1 are refused, as in Python. */
    default void put(NDArray value) {
        long[] shape = value.getShape().getShape();
        if (shape.length > 1 && shape[0] > 1) {
            throw new IllegalArgumentException("TextStreamer only supports batch size 1");
        }
        put(value.toType(DataType.INT64, false).toLongArray());
    }

    void end();
}
