package io.transformers4j.models.persimmon;

import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelFamily;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.List;
import java.util.Map;

/** The Persimmon rows of Python's Auto mappings (models/auto/modeling_auto.py), found through ServiceLoader. */
public final class PersimmonFamily implements ModelFamily {

    @Override
    public String modelType() {
        return "persimmon";
    }

    @Override
    public Class<? extends PretrainedConfig> configClass() {
        return PersimmonConfig.class;
    }

    @Override
    public List<ModelClass<?, ?>> modelClasses() {
        return List.of(PersimmonModel.CLASS, PersimmonForCausalLM.CLASS, PersimmonForSequenceClassification.CLASS);
    }

    @Override
    public Map<AutoTask, ModelClass<?, ?>> autoClasses() {
        return Map.of(
                AutoTask.MODEL, PersimmonModel.CLASS,
                AutoTask.CAUSAL_LM, PersimmonForCausalLM.CLASS,
                AutoTask.SEQUENCE_CLASSIFICATION, PersimmonForSequenceClassification.CLASS);
    }
}
