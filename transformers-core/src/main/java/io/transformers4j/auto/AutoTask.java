package io.transformers4j.auto;

/** The Auto classes, each a Python {@code MODEL_..._MAPPING}. */
public enum AutoTask {
    MODEL("AutoModel"),
    PRETRAINING("AutoModelForPreTraining"),
    MASKED_LM("AutoModelForMaskedLM"),
    CAUSAL_LM("AutoModelForCausalLM"),
    SEQ2SEQ_LM("AutoModelForSeq2SeqLM"),
    SEQUENCE_CLASSIFICATION("AutoModelForSequenceClassification"),
    TOKEN_CLASSIFICATION("AutoModelForTokenClassification"),
    QUESTION_ANSWERING("AutoModelForQuestionAnswering"),
    MULTIPLE_CHOICE("AutoModelForMultipleChoice"),
    NEXT_SENTENCE_PREDICTION("AutoModelForNextSentencePrediction"),
    IMAGE_CLASSIFICATION("AutoModelForImageClassification"),
    AUDIO_CLASSIFICATION("AutoModelForAudioClassification"),
    SPEECH_SEQ2SEQ("AutoModelForSpeechSeq2Seq"),
    VISION2SEQ("AutoModelForVision2Seq");

    private final String pythonName;

    AutoTask(String pythonName) {
        this.pythonName = pythonName;
    }

    public String pythonName() {
        return pythonName;
    }
}
