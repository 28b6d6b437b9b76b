package io.transformers4j.auto;

import io.transformers4j.config.AutoConfig;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.hub.ModelFiles;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.PreTrainedModel;
import java.io.IOException;

/** What every Auto class does: read config.json, pick the class for the task by model_type, load it. */
final class AutoModels {
    private AutoModels() {}

    static PreTrainedModel load(AutoTask task, String repoIdOrPath, LoadOptions options) throws IOException {
        ModelFiles files = ModelFiles.open(repoIdOrPath, options.hub());
        PretrainedConfig config = AutoConfig.fromModelFiles(files, PretrainedConfig.class);
        ModelClass<?, ?> cls = ModelRegistry.forTask(config, task);
        return PreTrainedModel.fromPretrained(cls, files, options);
    }
}
