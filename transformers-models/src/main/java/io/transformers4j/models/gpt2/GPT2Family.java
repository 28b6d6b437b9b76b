package io.transformers4j.models.gpt2;

import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelFamily;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.List;
import java.util.Map;

/** The GPT-2 rows of Python's Auto mappings (models/auto/modeling_auto.py), found through ServiceLoader. */
public final class GPT2Family implements ModelFamily {

    @Override
    public String modelType() {
        return "gpt2";
    }

    @Override
    public Class<? extends PretrainedConfig> configClass() {
        return GPT2Config.class;
    }

    @Override
    public List<ModelClass<?, ?>> modelClasses() {
        return List.of(GPT2Model.CLASS, GPT2LMHeadModel.CLASS, GPT2ForSequenceClassification.CLASS,
                GPT2ForTokenClassification.CLASS);
    }

    @Override
    public Map<AutoTask, ModelClass<?, ?>> autoClasses() {
        return Map.of(
                AutoTask.MODEL, GPT2Model.CLASS,
                AutoTask.PRETRAINING, GPT2LMHeadModel.CLASS,
                AutoTask.CAUSAL_LM, GPT2LMHeadModel.CLASS,
                AutoTask.SEQUENCE_CLASSIFICATION, GPT2ForSequenceClassification.CLASS,
                AutoTask.TOKEN_CLASSIFICATION, GPT2ForTokenClassification.CLASS);
    }
}
