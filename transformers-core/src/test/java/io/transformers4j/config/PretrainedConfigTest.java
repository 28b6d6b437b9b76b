package io.transformers4j.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.transformers4j.hub.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PretrainedConfigTest {

    /** A config class the way model packages write them. */
    static final class TinyConfig extends PretrainedConfig {
        @com.fasterxml.jackson.annotation.JsonProperty("hidden_size") private int hiddenSize = 768;
        TinyConfig() { modelType = "tiny"; }
        int hiddenSize() { return hiddenSize; }
    }

    @Test
    void unknownKeysSurviveALoadSaveRoundTrip(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"tiny\", \"hidden_size\": 32, "
                + "\"my_custom_key\": {\"a\": [1, 2]}, \"eos_token_id\": [2, 3], \"num_labels\": 3}");
        TinyConfig c = PretrainedConfig.fromJsonFile(dir.resolve("config.json"), TinyConfig.class);
        assertEquals(32, c.hiddenSize());
        assertEquals(List.of(2, 3), c.eosTokenIds());
        assertEquals(3, c.numLabels());
        assertEquals("LABEL_2", c.id2label().get(2));
        assertEquals(2, c.label2id().get("LABEL_2"));
        Path out = dir.resolve("saved");
        c.saveJson(out);
        JsonNode saved = PretrainedConfig.MAPPER.readTree(out.resolve("config.json").toFile());
        assertEquals(1, saved.get("my_custom_key").get("a").get(0).asInt());
        assertEquals(3, saved.get("eos_token_id").get(1).asInt());
        assertEquals("LABEL_1", saved.get("id2label").get("1").asText());
        assertFalse(saved.has("num_labels"), "Python derives num_labels from id2label and does not save it");
        TinyConfig again = PretrainedConfig.fromJsonFile(out.resolve("config.json"), TinyConfig.class);
        assertEquals(c.toJson().without("transformers_version"), again.toJson().without("transformers_version"));
    }

    @Test
    void defaultsFollowPython() {
        TinyConfig c = PretrainedConfig.fromMap(Map.of(), TinyConfig.class);
        assertEquals(2, c.numLabels());
        assertTrue(c.tieWordEmbeddings());
        assertFalse(c.isEncoderDecoder());
        assertNull(c.padTokenId());
        assertEquals(768, c.hiddenSize());
    }

    @Test
    void withOverridesMakesANewConfig() {
        TinyConfig c = PretrainedConfig.fromMap(Map.of("hidden_size", 8), TinyConfig.class);
        TinyConfig d = c.withOverrides(Map.of("num_labels", 5, "pad_token_id", 0));
        assertEquals(2, c.numLabels());
        assertEquals(5, d.numLabels());
        assertEquals(0, d.padTokenId());
        assertEquals(8, d.hiddenSize());
    }

    @Test
    void badProblemTypeIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainedConfig.fromMap(Map.of("problem_type", "ranking"), TinyConfig.class));
        assertTrue(e.getMessage().contains("problem_type"), e.getMessage());
    }

    @Test
    void missingConfigNamesThePath(@TempDir Path dir) {
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> AutoConfig.fromModelFiles(ModelFiles.local(dir), PretrainedConfig.class));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains(dir.toString()), e.getMessage());
    }

    @Test
    void unknownModelTypeListsTheSupportedOnes(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"no-such-model\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AutoConfig.fromModelFiles(ModelFiles.local(dir), PretrainedConfig.class));
        assertTrue(e.getMessage().contains("no-such-model") && e.getMessage().contains("Supported model types"),
                e.getMessage());
    }
}
