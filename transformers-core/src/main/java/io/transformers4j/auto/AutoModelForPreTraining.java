package io.transformers4j.auto;

import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.PreTrainedModel;
import java.io.IOException;

/** Python's {@code AutoModelForPreTraining}: the pre-training heads. */
public final class AutoModelForPreTraining {
    private AutoModelForPreTraining() {}

    public static PreTrainedModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static PreTrainedModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return AutoModels.load(AutoTask.PRETRAINING, repoIdOrPath, options);
    }
}
