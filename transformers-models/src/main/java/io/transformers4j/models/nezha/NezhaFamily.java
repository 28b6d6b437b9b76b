package io.transformers4j.models.nezha;

import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelFamily;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.List;
import java.util.Map;

/** The NEZHA rows of Python's Auto mappings (models/auto/modeling_auto.py), found through ServiceLoader. */
public final class NezhaFamily implements ModelFamily {

    @Override
    public String modelType() {
        return "nezha";
    }

    @Override
    public Class<? extends PretrainedConfig> configClass() {
        return NezhaConfig.class;
    }

    @Override
    public List<ModelClass<?, ?>> modelClasses() {
        return List.of(NezhaModel.CLASS, NezhaForPreTraining.CLASS, NezhaForMaskedLM.CLASS,
                NezhaForNextSentencePrediction.CLASS, NezhaForSequenceClassification.CLASS,
                NezhaForMultipleChoice.CLASS, NezhaForTokenClassification.CLASS, NezhaForQuestionAnswering.CLASS);
    }

    @Override
    public Map<AutoTask, ModelClass<?, ?>> autoClasses() {
        return Map.of(
                AutoTask.MODEL, NezhaModel.CLASS,
                AutoTask.PRETRAINING, NezhaForPreTraining.CLASS,
                AutoTask.MASKED_LM, NezhaForMaskedLM.CLASS,
                AutoTask.NEXT_SENTENCE_PREDICTION, NezhaForNextSentencePrediction.CLASS,
                AutoTask.SEQUENCE_CLASSIFICATION, NezhaForSequenceClassification.CLASS,
                AutoTask.MULTIPLE_CHOICE, NezhaForMultipleChoice.CLASS,
                AutoTask.TOKEN_CLASSIFICATION, NezhaForTokenClassification.CLASS,
                AutoTask.QUESTION_ANSWERING, NezhaForQuestionAnswering.CLASS);
    }
}
