package io.transformers4j.auto;

import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.List;
import java.util.Map;

/**
 * One architecture family ({@code model_type}), registered through {@link java.util.ServiceLoader}: a jar that adds a
 * model lists its family in {@code META-INF/services/io.transformers4j.auto.ModelFamily}, and the Auto classes find
 * it. This replaces Python's import-time registries with one explicit table per family.
 */
public interface ModelFamily {

    /** config.json's {@code model_type} ("bert", "gpt2", ...). */
    String modelType();

    Class<? extends PretrainedConfig> configClass();

    /** Every model class of the family, e.g. BertModel, BertForMaskedLM, ... */
    List<ModelClass<?, ?>> modelClasses();

    /** Which class each Auto class picks for this family (Python's MODEL_FOR_..._MAPPING rows). */
    Map<AutoTask, ModelClass<?, ?>> autoClasses();
}
