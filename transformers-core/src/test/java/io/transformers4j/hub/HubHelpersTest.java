package io.transformers4j.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Repo-id rules, fnmatch patterns, URL quoting, the environment defaults and the progress bar. */
class HubHelpersTest {
    @TempDir
    Path tmp;

    @Test
    void repoIdsAndFolderNames() {
        assertEquals("models--org--name", HubClient.repoFolderName("org/name"));
        assertEquals("models--gpt2", HubClient.repoFolderName("gpt2"));
        for (String ok : List.of("gpt2", "org/name", "bert-base-uncased", "Org_1/x.y-z", "a/b")) {
            HubClient.validateRepoId(ok);
        }
        for (String bad : List.of("a/b/c", "-org/name", "org/name-", "org/name.", "org--x/name", "a..b",
                "org/name.git", "", "org/ name", "../x", "org/", "/name")) {
            assertThrows(IllegalArgumentException.class, () -> HubClient.validateRepoId(bad), bad);
        }
    }

    @Test
    void fnmatchLikePython() {
        assertTrue(HubClient.fnmatch("config.json", "*.json"));
        assertTrue(HubClient.fnmatch("sub/dir/a.json", "*.json"), "* also crosses '/' in fnmatch");
        assertFalse(HubClient.fnmatch("model.safetensors", "*.json"));
        assertTrue(HubClient.fnmatch("model-00001-of-00002.safetensors", "model-?????-of-?????.safetensors"));
        assertFalse(HubClient.fnmatch("model-001-of-002.safetensors", "model-?????-of-?????.safetensors"));
        assertTrue(HubClient.fnmatch("a.txt", "[!b]*"));
        assertFalse(HubClient.fnmatch("b.txt", "[!b]*"));
        assertTrue(HubClient.fnmatch("b.txt", "[a-c].txt"));
        assertTrue(HubClient.fnmatch("[x", "[x"), "an unclosed [ is literal");
        assertTrue(HubClient.fnmatch("a+b(1).bin", "a+b(1).bin"), "regex characters are literal");
        assertFalse(HubClient.fnmatch("Config.json", "config.json"), "case-sensitive, as on POSIX");
        assertTrue(HubClient.matchesAny("sub/dir/vocab.txt", List.of("*.json", "sub/")), "'dir/' means 'dir/*'");
        assertTrue(HubClient.matchesAny("anything", null));
        assertFalse(HubClient.matchesAny("model.bin", List.of("*.json")));
    }

    @Test
    void quoteLikePython() {
        assertEquals("refs%2Fpr%2F1", HubClient.quote("refs/pr/1", ""));
        assertEquals("sub/dir/a%20b%2B%C3%A9.txt", HubClient.quote("sub/dir/a b+é.txt", "/"));
        assertEquals("abc", HubClient.normalizeEtag("W/\"abc\""));
        assertEquals("abc", HubClient.normalizeEtag("\"abc\""));
    }

    @Test
    void environmentDefaults() throws IOException {
        Path home = Files.createDirectories(tmp.resolve("home"));
        HubOptions o = HubOptions.fromEnvironment(Map.of("HF_HOME", home.toString()));
        assertEquals(home.resolve("hub"), o.cacheDir());
        assertEquals("https://huggingface.co", o.endpoint());
        assertEquals("main", o.revision());
        assertEquals(null, o.token(), "no HF_TOKEN and no token file");
        assertFalse(o.localFilesOnly());
        assertTrue(o.showProgress());

        Files.writeString(home.resolve("token"), "  hf_file \n");
        assertEquals("hf_file", HubOptions.fromEnvironment(Map.of("HF_HOME", home.toString())).token());
        assertEquals("hf_env", HubOptions.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_TOKEN", "hf_env"))
                .token(), "HF_TOKEN wins over the file");
        Path other = tmp.resolve("elsewhere/token");
        Files.createDirectories(other.getParent());
        Files.writeString(other, "hf_path");
        assertEquals("hf_path", HubOptions.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_TOKEN_PATH",
                other.toString())).token());

        HubOptions cache = HubOptions.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_HUB_CACHE",
                tmp.resolve("c").toString(), "HF_HUB_OFFLINE", "true", "HF_HUB_DISABLE_PROGRESS_BARS", "1",
                "HF_ENDPOINT", "http://mirror.local//"));
        assertEquals(tmp.resolve("c"), cache.cacheDir());
        assertTrue(cache.localFilesOnly());
        assertFalse(cache.showProgress());
        assertEquals("http://mirror.local", cache.endpoint());
        assertEquals(tmp.resolve("x/huggingface/hub"),
                HubOptions.fromEnvironment(Map.of("XDG_CACHE_HOME", tmp.resolve("x").toString())).cacheDir());
        assertTrue(HubOptions.fromEnvironment(Map.of("HF_HOME", home.toString(), "TRANSFORMERS_OFFLINE", "1"))
                .localFilesOnly());
        assertFalse(HubOptions.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_HUB_OFFLINE", "0"))
                .localFilesOnly());
    }

    @Test
    void progressBarRendersLikeTqdm() {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        AtomicLong clock = new AtomicLong(0);
        PrintStream out = new PrintStream(buffer, true, StandardCharsets.UTF_8);
        ProgressBar bar = new ProgressBar(out, "model.safetensors", 447_000_000L, 0, clock::get);
        clock.set(5_000_000_000L);
        bar.advance(201_000_000L);
        assertEquals("model.safetensors:  44%|########            | 201M/447M [00:05<00:06, 40.2MB/s]",
                bar.render(clock.get()));
        clock.set(12_000_000_000L);
        bar.advance(246_000_000L);
        bar.close();
        String text = buffer.toString(StandardCharsets.UTF_8);
        assertTrue(text.contains("\rmodel.safetensors: 100%|####################| 447M/447M [00:12, 37.3MB/s]\n"),
                text);
        assertEquals("999", ProgressBar.bytes(999));
        assertEquals("1.50k", ProgressBar.bytes(1500));
        assertEquals("12.3M", ProgressBar.bytes(12_345_678));

        AtomicLong clock2 = new AtomicLong(0);
        ProgressBar unknown = new ProgressBar(out, "unknown.bin", -1, 0, clock2::get);
        clock2.set(1_000_000_000L);
        unknown.advance(12_345_678);
        assertEquals("unknown.bin: 12.3M [00:01, 12.3MB/s]", unknown.render(clock2.get()));
    }
}
