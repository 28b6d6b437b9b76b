package io.transformers4j.models.t5;

import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelFamily;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.List;
import java.util.Map;

/** The T5 rows of Python's Auto mappings (models/auto/modeling_auto.py), found through ServiceLoader. */
public final class T5Family implements ModelFamily {

    @Override
    public String modelType() {
        return "t5";
    }

    @Override
    public Class<? extends PretrainedConfig> configClass() {
        return T5Config.class;
    }

    @Override
    public List<ModelClass<?, ?>> modelClasses() {
        return List.of(T5Model.CLASS, T5ForConditionalGeneration.CLASS, T5EncoderModel.CLASS);
    }

    @Override
    public Map<AutoTask, ModelClass<?, ?>> autoClasses() {
        return Map.of(
                AutoTask.MODEL, T5Model.CLASS,
                AutoTask.PRETRAINING, T5ForConditionalGeneration.CLASS,
                AutoTask.SEQ2SEQ_LM, T5ForConditionalGeneration.CLASS);
    }
}
