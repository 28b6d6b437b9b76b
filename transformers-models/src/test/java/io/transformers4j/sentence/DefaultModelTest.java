package io.transformers4j.sentence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DefaultModelTest {

    @TempDir
    Path cache;

    private Path repo() {
        return cache.resolve("models--sentence-transformers--all-MiniLM-L6-v2");
    }

    @Test
    void installsOnceAsAHubCacheSnapshot() throws Exception {
        // Concurrent first uses: one import, everyone gets the same complete folder.
        ExecutorService pool = Executors.newFixedThreadPool(3);
        List<Future<Path>> results = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            results.add(pool.submit((Callable<Path>) () -> DefaultModel.install(cache)));
        }
        Path snap = repo().resolve("snapshots").resolve(DefaultModel.PSEUDO_COMMIT);
        for (Future<Path> f : results) {
            assertEquals(snap, f.get());
        }
        pool.shutdown();

        assertEquals(DefaultModel.PSEUDO_COMMIT,
                Files.readString(repo().resolve("refs").resolve("main"), StandardCharsets.UTF_8));
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "special_tokens_map.json", "vocab.txt", "modules.json", "sentence_bert_config.json",
                "1_Pooling/config.json")) {
            assertTrue(Files.isRegularFile(snap.resolve(f)), f);
        }
        try (Stream<Path> s = Files.list(repo())) {
            assertEquals(List.of("refs", "snapshots"), s.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary folders left behind");
        }
        ObjectMapper json = new ObjectMapper();
        JsonNode st = json.readTree(snap.resolve("sentence_bert_config.json").toFile());
        assertEquals(256, st.get("max_seq_length").asInt());
        JsonNode pooling = json.readTree(snap.resolve("1_Pooling/config.json").toFile());
        assertEquals(384, pooling.get("word_embedding_dimension").asInt());
        assertTrue(pooling.get("pooling_mode_mean_tokens").asBoolean());
        JsonNode tok = json.readTree(snap.resolve("tokenizer.json").toFile());
        assertTrue(tok.get("truncation").isNull() && tok.get("padding").isNull());
        List<String> vocab = Files.readAllLines(snap.resolve("vocab.txt"));
        assertEquals(30522, vocab.size());
        assertEquals("[CLS]", vocab.get(101));

        // Second use: nothing rewritten.
        FileTime before = Files.getLastModifiedTime(snap.resolve("model.safetensors"));
        assertEquals(snap, DefaultModel.install(cache));
        assertEquals(before, Files.getLastModifiedTime(snap.resolve("model.safetensors")));

        // A damaged snapshot is rebuilt.
        Files.delete(snap.resolve("model.safetensors"));
        assertEquals(snap, DefaultModel.install(cache));
        assertTrue(Files.isRegularFile(snap.resolve("model.safetensors")));
    }

    @Test
    void aCompleteRealSnapshotIsUsedAsIs() throws Exception {
        String real = "8b3219a92973c328a8e22fadcfa821b5dc75636a";
        Path snap = repo().resolve("snapshots").resolve(real);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "modules.json", "sentence_bert_config.json", "1_Pooling/config.json")) {
            Files.createDirectories(snap.resolve(f).getParent());
            Files.writeString(snap.resolve(f), "{}");
        }
        Files.createDirectories(repo().resolve("refs"));
        Files.writeString(repo().resolve("refs").resolve("main"), real);
        assertEquals(snap, DefaultModel.install(cache));
        assertFalse(Files.exists(repo().resolve("snapshots").resolve(DefaultModel.PSEUDO_COMMIT)));
    }

    @Test
    void losingTheRaceKeepsTheWinnersCopy() throws Exception {
        Path target = repo().resolve("snapshots").resolve(DefaultModel.PSEUDO_COMMIT);
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                "modules.json", "sentence_bert_config.json", "1_Pooling/config.json")) {
            Files.createDirectories(target.resolve(f).getParent());
            Files.writeString(target.resolve(f), "winner");
        }
        Path mine = Files.createDirectories(repo().resolve(".import-mine"));
        Files.writeString(mine.resolve("config.json"), "loser");
        DefaultModel.moveIntoPlace(mine, target, repo());
        assertEquals("winner", Files.readString(target.resolve("config.json")));
    }
}
