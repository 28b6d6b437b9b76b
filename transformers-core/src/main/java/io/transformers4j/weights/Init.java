package io.transformers4j.weights;

/**
 * How a parameter is initialised when the checkpoint does not hold it (a new head, or a model built from a config),
 * mirroring the {@code _init_weights} of Python's PreTrainedModel subclasses.
 */
public enum Init {
    /** normal(0, initializer_range): Linear and Embedding weights. */
    NORMAL,
    /** zeros: biases, LayerNorm beta. */
    ZEROS,
    /** ones: LayerNorm / RMSNorm gamma. */
    ONES
}
