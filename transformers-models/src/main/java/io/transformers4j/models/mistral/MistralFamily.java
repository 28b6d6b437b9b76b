package io.transformers4j.models.mistral;

import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelFamily;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.List;
import java.util.Map;

/** The Mistral rows of Python's Auto mappings (models/auto/modeling_auto.py), found through ServiceLoader. */
public final class MistralFamily implements ModelFamily {

    @Override
    public String modelType() {
        return "mistral";
    }

    @Override
    public Class<? extends PretrainedConfig> configClass() {
        return MistralConfig.class;
    }

    @Override
    public List<ModelClass<?, ?>> modelClasses() {
        return List.of(MistralModel.CLASS, MistralForCausalLM.CLASS, MistralForSequenceClassification.CLASS);
    }

    @Override
    public Map<AutoTask, ModelClass<?, ?>> autoClasses() {
        return Map.of(
                AutoTask.MODEL, MistralModel.CLASS,
                AutoTask.CAUSAL_LM, MistralForCausalLM.CLASS,
                AutoTask.SEQUENCE_CLASSIFICATION, MistralForSequenceClassification.CLASS);
    }
}
