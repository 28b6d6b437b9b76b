package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelOutput;
import java.util.List;

/**
 * What generate() returns with {@code return_dict_in_generate}: one of the four Python output classes. Flattened by
 * {@link #toMap()} with Python's names ({@code sequences}, {@code scores.0}, ...); closing closes the tensors and the
 * returned cache.
 */
public sealed interface GenerateOutput extends ModelOutput permits GenerateDecoderOnlyOutput,
        GenerateEncoderDecoderOutput, GenerateBeamDecoderOnlyOutput, GenerateBeamEncoderDecoderOutput {

    NDArray sequences();

    List<NDArray> scores();

    List<NDArray> logits();

    @Override
    Object pastKeyValues();

    @Override
    default void close() {
        for (NDArray a : toMap().values()) {
            a.close();
        }
        GenerateOutputs.closeCache(pastKeyValues());
    }
}
