package io.transformers4j.models.llama;

import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelFamily;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.List;
import java.util.Map;

/** The Llama rows of Python's Auto mappings (models/auto/modeling_auto.py), found through ServiceLoader. */
public final class LlamaFamily implements ModelFamily {

    @Override
    public String modelType() {
        return "llama";
    }

    @Override
    public Class<? extends PretrainedConfig> configClass() {
        return LlamaConfig.class;
    }

    @Override
    public List<ModelClass<?, ?>> modelClasses() {
        return List.of(LlamaModel.CLASS, LlamaForCausalLM.CLASS, LlamaForSequenceClassification.CLASS);
    }

    @Override
    public Map<AutoTask, ModelClass<?, ?>> autoClasses() {
        return Map.of(
                AutoTask.MODEL, LlamaModel.CLASS,
                AutoTask.CAUSAL_LM, LlamaForCausalLM.CLASS,
                AutoTask.SEQUENCE_CLASSIFICATION, LlamaForSequenceClassification.CLASS);
    }
}
