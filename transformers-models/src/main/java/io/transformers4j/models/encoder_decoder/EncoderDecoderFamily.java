package io.transformers4j.models.encoder_decoder;

import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelFamily;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.List;
import java.util.Map;

/**
 * Registers the encoder-decoder composite with the Auto classes (model_type "encoder-decoder"): Python lists it only
 * in MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING. Listed in META-INF/services.
 */
public final class EncoderDecoderFamily implements ModelFamily {

    @Override
    public String modelType() {
        return EncoderDecoderConfig.MODEL_TYPE;
    }

    @Override
    public Class<? extends PretrainedConfig> configClass() {
        return EncoderDecoderConfig.class;
    }

    @Override
    public List<ModelClass<?, ?>> modelClasses() {
        return List.of(EncoderDecoderModel.CLASS);
    }

    @Override
    public Map<AutoTask, ModelClass<?, ?>> autoClasses() {
        return Map.of(AutoTask.SEQ2SEQ_LM, EncoderDecoderModel.CLASS);
    }
}
