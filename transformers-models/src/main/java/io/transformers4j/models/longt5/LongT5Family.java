package io.transformers4j.models.longt5;

import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelFamily;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.List;
import java.util.Map;

/** The LongT5 rows of Python's Auto mappings (models/auto/modeling_auto.py), found through ServiceLoader. */
public final class LongT5Family implements ModelFamily {

    @Override
    public String modelType() {
        return "longt5";
    }

    @Override
    public Class<? extends PretrainedConfig> configClass() {
        return LongT5Config.class;
    }

    @Override
    public List<ModelClass<?, ?>> modelClasses() {
        return List.of(LongT5Model.CLASS, LongT5ForConditionalGeneration.CLASS, LongT5EncoderModel.CLASS);
    }

    @Override
    public Map<AutoTask, ModelClass<?, ?>> autoClasses() {
        return Map.of(
                AutoTask.MODEL, LongT5Model.CLASS,
                AutoTask.SEQ2SEQ_LM, LongT5ForConditionalGeneration.CLASS);
    }
}
