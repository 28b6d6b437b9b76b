package io.transformers4j.auto;

import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.PreTrainedModel;
import java.io.IOException;

/** Python's {@code AutoModelForTokenClassification}: a token classification head. */
public final class AutoModelForTokenClassification {
    private AutoModelForTokenClassification() {}

    public static PreTrainedModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static PreTrainedModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return AutoModels.load(AutoTask.TOKEN_CLASSIFICATION, repoIdOrPath, options);
    }
}
