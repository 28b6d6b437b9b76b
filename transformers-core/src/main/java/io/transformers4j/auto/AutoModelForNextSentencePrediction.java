package io.transformers4j.auto;

import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.PreTrainedModel;
import java.io.IOException;

/** Python's {@code AutoModelForNextSentencePrediction}: a next sentence prediction head. */
public final class AutoModelForNextSentencePrediction {
    private AutoModelForNextSentencePrediction() {}

    public static PreTrainedModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static PreTrainedModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return AutoModels.load(AutoTask.NEXT_SENTENCE_PREDICTION, repoIdOrPath, options);
    }
}
