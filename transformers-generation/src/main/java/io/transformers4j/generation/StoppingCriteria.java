package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Decides, per row, whether generation is done. Port of Python's {@code StoppingCriteria} (4.39: one verdict per
 * row). Implement {@link #isDone} for a custom criterion.
 */
@FunctionalInterface
public interface StoppingCriteria {

    /** One boolean per row of {@code inputIds}: true = this row is done. */
    boolean[] isDone(NDArray inputIds, NDArray scores);

    /** The verdicts as a (batch,) boolean tensor in {@code inputIds}' manager (Python's BoolTensor). */
    default NDArray call(NDArray inputIds, NDArray scores) {
        boolean[] done = isDone(inputIds, scores);
        return inputIds.getManager().create(done, new Shape(done.length));
    }

    /** Every row gets the same verdict. */
    static boolean[] full(NDArray inputIds, boolean value) {
        boolean[] out = new boolean[(int) inputIds.getShape().get(0)];
        java.util.Arrays.fill(out, value);
        return out;
    }
}
