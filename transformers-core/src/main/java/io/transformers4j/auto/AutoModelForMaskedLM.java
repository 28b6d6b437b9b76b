package io.transformers4j.auto;

import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.PreTrainedModel;
import java.io.IOException;

/** Python's {@code AutoModelForMaskedLM}: a masked language model head. */
public final class AutoModelForMaskedLM {
    private AutoModelForMaskedLM() {}

    public static PreTrainedModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static PreTrainedModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return AutoModels.load(AutoTask.MASKED_LM, repoIdOrPath, options);
    }
}
