package io.transformers4j.auto;

import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.PreTrainedModel;
import java.io.IOException;

/** Python's {@code AutoModelForCausalLM}: a causal language model head. */
public final class AutoModelForCausalLM {
    private AutoModelForCausalLM() {}

    public static PreTrainedModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static PreTrainedModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return AutoModels.load(AutoTask.CAUSAL_LM, repoIdOrPath, options);
    }
}
