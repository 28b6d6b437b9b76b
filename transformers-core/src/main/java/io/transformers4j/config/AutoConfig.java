package io.transformers4j.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.auto.ModelRegistry;
import io.transformers4j.hub.HubOptions;
import io.transformers4j.hub.ModelFiles;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads config.json into the config class its {@code model_type} names. */
public final class AutoConfig {
    private AutoConfig() {}

    public static PretrainedConfig fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, HubOptions.defaults());
    }

    public static PretrainedConfig fromPretrained(String repoIdOrPath, HubOptions hub) throws IOException {
        return fromModelFiles(ModelFiles.open(repoIdOrPath, hub), PretrainedConfig.class);
    }

    /**
     * The config of {@code files}. With {@code expected} = PretrainedConfig the class is picked from model_type;
     * otherwise the file is bound to {@code expected} (a model_type of another family fails).
     */
    public static <C extends PretrainedConfig> C fromModelFiles(ModelFiles files, Class<C> expected) throws IOException {
        Path path = files.file("config.json").orElseThrow(() -> new NoSuchFileException(
                files.describe() + "/config.json", null, "no config.json in " + files.describe()));
        JsonNode node;
        try {
            node = PretrainedConfig.MAPPER.readTree(path.toFile());
        } catch (IOException e) {
            throw new IOException("Cannot parse " + path + " as JSON: " + e.getMessage(), e);
        }
        if (!(node instanceof ObjectNode json)) {
            throw new IOException(path + " does not hold a JSON object");
        }
        JsonNode type = json.get("model_type");
        Class<? extends PretrainedConfig> cls = expected;
        if (expected == PretrainedConfig.class) {
            if (type == null || !type.isTextual()) {
                throw new IOException(path + " has no model_type: cannot tell which config class to use");
            }
            cls = ModelRegistry.family(type.asText()).configClass();
        }
        PretrainedConfig c = PretrainedConfig.fromJson(json, cls, path.toString());
        if (c.modelType() == null) {
            throw new IOException(path + " has no model_type");
        }
        return expected.cast(c);
    }
}
