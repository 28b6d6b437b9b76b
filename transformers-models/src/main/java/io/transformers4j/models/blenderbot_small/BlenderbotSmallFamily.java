package io.transformers4j.models.blenderbot_small;

import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelFamily;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.List;
import java.util.Map;

/** The BlenderbotSmall rows of Python's Auto mappings (models/auto/modeling_auto.py), found through ServiceLoader. */
public final class BlenderbotSmallFamily implements ModelFamily {

    @Override
    public String modelType() {
        return "blenderbot-small";
    }

    @Override
    public Class<? extends PretrainedConfig> configClass() {
        return BlenderbotSmallConfig.class;
    }

    @Override
    public List<ModelClass<?, ?>> modelClasses() {
        return List.of(BlenderbotSmallModel.CLASS, BlenderbotSmallForConditionalGeneration.CLASS,
                BlenderbotSmallForCausalLM.CLASS);
    }

    @Override
    public Map<AutoTask, ModelClass<?, ?>> autoClasses() {
        return Map.of(
                AutoTask.MODEL, BlenderbotSmallModel.CLASS,
                AutoTask.CAUSAL_LM, BlenderbotSmallForCausalLM.CLASS,
                AutoTask.SEQ2SEQ_LM, BlenderbotSmallForConditionalGeneration.CLASS);
    }
}
