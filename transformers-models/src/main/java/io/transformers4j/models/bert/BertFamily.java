package io.transformers4j.models.bert;

import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelFamily;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Registers BERT with the Auto classes (model_type "bert"); listed in META-INF/services. */
public final class BertFamily implements ModelFamily {

    @Override
    public String modelType() {
        return BertConfig.MODEL_TYPE;
    }

    @Override
    public Class<? extends PretrainedConfig> configClass() {
        return BertConfig.class;
    }

    @Override
    public List<ModelClass<?, ?>> modelClasses() {
        return List.of(BertModel.CLASS, BertForPreTraining.CLASS, BertLMHeadModel.CLASS, BertForMaskedLM.CLASS,
                BertForNextSentencePrediction.CLASS, BertForSequenceClassification.CLASS,
                BertForMultipleChoice.CLASS, BertForTokenClassification.CLASS, BertForQuestionAnswering.CLASS);
    }

    /** Python's MODEL_*_MAPPING_NAMES rows for "bert". */
    @Override
    public Map<AutoTask, ModelClass<?, ?>> autoClasses() {
        Map<AutoTask, ModelClass<?, ?>> m = new LinkedHashMap<>();
        m.put(AutoTask.MODEL, BertModel.CLASS);
        m.put(AutoTask.PRETRAINING, BertForPreTraining.CLASS);
        m.put(AutoTask.MASKED_LM, BertForMaskedLM.CLASS);
        m.put(AutoTask.CAUSAL_LM, BertLMHeadModel.CLASS);
        m.put(AutoTask.SEQUENCE_CLASSIFICATION, BertForSequenceClassification.CLASS);
        m.put(AutoTask.TOKEN_CLASSIFICATION, BertForTokenClassification.CLASS);
        m.put(AutoTask.QUESTION_ANSWERING, BertForQuestionAnswering.CLASS);
        m.put(AutoTask.MULTIPLE_CHOICE, BertForMultipleChoice.CLASS);
        m.put(AutoTask.NEXT_SENTENCE_PREDICTION, BertForNextSentencePrediction.CLASS);
        return m;
    }
}
