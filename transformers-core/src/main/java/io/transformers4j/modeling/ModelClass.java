package io.transformers4j.modeling;

import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.weights.Weights;
import java.util.function.BiFunction;

/**
 * What it takes to build one Python model class ({@code BertForMaskedLM}): its config class, its family's
 * {@code base_model_prefix}, whether it holds the base model under that prefix (head models do, the bare model does
 * not), and its constructor {@code (config, weights)}.
 */
public record ModelClass<C extends PretrainedConfig, M extends PreTrainedModel>(
        String name, Class<C> configClass, String baseModelPrefix, boolean hasPrefixModule,
        BiFunction<C, Weights, M> constructor) {

    /** Builds the model over {@code weights}, checking the config's type. */
    public M construct(PretrainedConfig config, Weights weights) {
        if (!configClass.isInstance(config)) {
            throw new IllegalArgumentException(name + " needs a " + configClass.getSimpleName() + ", got "
                    + config.getClass().getSimpleName());
        }
        return constructor.apply(configClass.cast(config), weights);
    }
}
