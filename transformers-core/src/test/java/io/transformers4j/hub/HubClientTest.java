package io.transformers4j.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** hf_hub_download / snapshot_download semantics against {@link FakeHub}, always in a temporary cache. */
class HubClientTest {
    static final String C1 = FakeHub.hex("SHA-1", "commit-1".getBytes(StandardCharsets.UTF_8));
    static final String C2 = FakeHub.hex("SHA-1", "commit-2".getBytes(StandardCharsets.UTF_8));
    static final String C3 = FakeHub.hex("SHA-1", "commit-3".getBytes(StandardCharsets.UTF_8));
    static final byte[] CONFIG = "{\"model_type\": \"bert\"}".getBytes(StandardCharsets.UTF_8);
    static final byte[] VOCAB = "[PAD]\n[UNK]\nhello\n".getBytes(StandardCharsets.UTF_8);
    static final byte[] WEIGHTS = randomBytes(300_000);
    static final String WEIGHTS_SHA = FakeHub.hex("SHA-256", WEIGHTS);

    @TempDir
    Path tmp;
    FakeHub hub;
    Path cache;

    @BeforeEach
    void startHub() throws IOException {
        hub = new FakeHub();
        cache = tmp.resolve("hub");
        hub.repo("org/tiny").commit(C1, Map.of("config.json", CONFIG, "model.safetensors", WEIGHTS,
                "sub/dir/vocab.txt", VOCAB), "main").lfs.add("model.safetensors");
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    HubOptions options() {
        return new HubOptions(cache, hub.endpoint(), "main", null, false, false);
    }

    HubClient client() {
        return HubClient.create(options());
    }

    Path repoDir(String folder) {
        return cache.resolve(folder);
    }

    @Test
    void downloadWritesPythonCacheLayout() throws IOException {
        HubClient c = client();
        Path config = c.download("org/tiny", "config.json");
        Path weights = c.download("org/tiny", "model.safetensors");
        Path vocab = c.download("org/tiny", "sub/dir/vocab.txt");

        Path repo = repoDir("models--org--tiny");
        assertEquals(C1, Files.readString(repo.resolve("refs/main")), "refs/main holds the commit, no newline");
        Path snapshot = repo.resolve("snapshots").resolve(C1);
        assertEquals(snapshot.resolve("config.json"), config);
        assertEquals(snapshot.resolve("sub/dir/vocab.txt"), vocab);
        for (Path p : List.of(config, weights, vocab)) {
            assertTrue(Files.isSymbolicLink(p), p + " is a symlink");
        }
        assertEquals(Path.of("../../blobs/" + FakeHub.gitSha1(CONFIG)), Files.readSymbolicLink(config));
        assertEquals(Path.of("../../blobs/" + WEIGHTS_SHA), Files.readSymbolicLink(weights));
        assertEquals(Path.of("../../../../blobs/" + FakeHub.gitSha1(VOCAB)), Files.readSymbolicLink(vocab));
        assertArrayEquals(CONFIG, Files.readAllBytes(config));
        assertArrayEquals(WEIGHTS, Files.readAllBytes(weights));
        assertArrayEquals(VOCAB, Files.readAllBytes(vocab));
        assertEquals(List.of(FakeHub.gitSha1(CONFIG), FakeHub.gitSha1(VOCAB), WEIGHTS_SHA).stream().sorted().toList(),
                list(repo.resolve("blobs")), "one blob per etag, no .incomplete left");
        assertEquals(1, hub.count("GET /cdn/" + WEIGHTS_SHA), "the LFS file came from the CDN redirect target");
        assertEquals(0, hub.count("GET /org/tiny/resolve/main/model.safetensors"));
        assertTrue(hub.auth.stream().allMatch(String::isEmpty), "no token configured, none sent");
    }

    @Test
    void secondDownloadIsServedFromCache() throws IOException {
        HubClient c = client();
        Path first = c.download("org/tiny", "model.safetensors");
        c.download("org/tiny", "config.json");
        long gets = hub.count("GET");
        long heads = hub.count("HEAD");
        assertEquals(first, client().download("org/tiny", "model.safetensors"));
        assertEquals(first, c.download("org/tiny", "model.safetensors"));
        c.download("org/tiny", "config.json");
        assertEquals(gets, hub.count("GET"), "no body downloaded twice");
        assertEquals(heads + 3, hub.count("HEAD"), "a branch is re-checked with a HEAD, as Python does");
    }

    @Test
    void offlineModeFindsCachedFiles() throws IOException {
        Path config = client().download("org/tiny", "config.json");
        int requests = hub.log.size();

        HubClient offline = HubClient.create(options().withLocalFilesOnly(true));
        assertEquals(config, offline.download("org/tiny", "config.json"));
        HubOptions env = HubOptions.fromEnvironment(Map.of("HF_HUB_CACHE", cache.toString(), "HF_HUB_OFFLINE", "1",
                "HF_ENDPOINT", hub.endpoint(), "HF_HOME", tmp.resolve("home").toString()));
        assertTrue(env.localFilesOnly());
        assertEquals(config, HubClient.create(env).download("org/tiny", "config.json"));

        LocalEntryNotFoundException missing = assertThrows(LocalEntryNotFoundException.class,
                () -> offline.download("org/tiny", "model.safetensors"));
        assertTrue(missing.getMessage().contains("not in the cache"), missing.getMessage());
        assertTrue(missing.getMessage().contains("offline mode is on"), missing.getMessage());
        assertTrue(missing.getMessage().contains("model.safetensors"), missing.getMessage());

        ModelFiles files = offline.repo("org/tiny");
        assertEquals(repoDir("models--org--tiny").resolve("snapshots").resolve(C1), files.folder());
        assertEquals(Optional.of(config), files.file("config.json"));
        assertEquals(Optional.empty(), files.file("model.safetensors"), "offline and not cached: absent for loaders");
        assertThrows(LocalEntryNotFoundException.class, () -> offline.repo("org/never-downloaded"));
        assertEquals(requests, hub.log.size(), "offline mode made no request");
    }

    @Test
    void interruptedDownloadResumesWithRange() throws IOException {
        hub.cutOnce.add(WEIGHTS_SHA);
        Path weights = client().download("org/tiny", "model.safetensors");
        assertArrayEquals(WEIGHTS, Files.readAllBytes(weights));

        List<String> gets = cdnGets();
        assertEquals(2, gets.size(), gets.toString());
        assertEquals("GET /cdn/" + WEIGHTS_SHA, gets.get(0));
        Matcher m = Pattern.compile("GET /cdn/" + WEIGHTS_SHA + " bytes=(\\d+)-").matcher(gets.get(1));
        assertTrue(m.matches(), gets.get(1));
        long resumedAt = Long.parseLong(m.group(1));
        assertTrue(resumedAt > 0 && resumedAt < WEIGHTS.length, "resumed at " + resumedAt);
        assertEquals(List.of(WEIGHTS_SHA), list(repoDir("models--org--tiny").resolve("blobs")));
    }

    @Test
    void leftoverIncompleteFileIsResumed() throws IOException {
        Path blobs = Files.createDirectories(repoDir("models--org--tiny").resolve("blobs"));
        Files.write(blobs.resolve(WEIGHTS_SHA + ".incomplete"), Arrays.copyOf(WEIGHTS, 1000));
        Path weights = client().download("org/tiny", "model.safetensors");
        assertArrayEquals(WEIGHTS, Files.readAllBytes(weights));
        assertEquals(List.of("GET /cdn/" + WEIGHTS_SHA + " bytes=1000-"), cdnGets());
        assertEquals(List.of(WEIGHTS_SHA), list(blobs));
    }

    @Test
    void serverIgnoringRangeRestartsFromZero() throws IOException {
        Path blobs = Files.createDirectories(repoDir("models--org--tiny").resolve("blobs"));
        Files.write(blobs.resolve(WEIGHTS_SHA + ".incomplete"), Arrays.copyOf(WEIGHTS, 1000));
        hub.ignoreRange = true;
        assertArrayEquals(WEIGHTS, Files.readAllBytes(client().download("org/tiny", "model.safetensors")));
    }

    @Test
    void corruptedBodyFailsSha256AndLeavesNothing() throws IOException {
        hub.corrupt.add(WEIGHTS_SHA);
        HubException e = assertThrows(HubException.class, () -> client().download("org/tiny", "model.safetensors"));
        assertTrue(e.getMessage().contains("SHA-256 mismatch"), e.getMessage());
        Path repo = repoDir("models--org--tiny");
        assertEquals(List.of(), list(repo.resolve("blobs")), "neither blob nor .incomplete kept");
        assertFalse(Files.exists(repo.resolve("snapshots").resolve(C1).resolve("model.safetensors"),
                LinkOption.NOFOLLOW_LINKS));

        // A partial file that is not a prefix of the real content is caught the same way.
        hub.corrupt.clear();
        byte[] wrong = Arrays.copyOf(WEIGHTS, 1000);
        wrong[10] ^= 1;
        Files.write(repo.resolve("blobs").resolve(WEIGHTS_SHA + ".incomplete"), wrong);
        assertThrows(HubException.class, () -> client().download("org/tiny", "model.safetensors"));
        assertEquals(List.of(), list(repo.resolve("blobs")));

        assertArrayEquals(WEIGHTS, Files.readAllBytes(client().download("org/tiny", "model.safetensors")));
    }

    @Test
    void namesThatLeaveTheCacheAreRefused() throws IOException {
        HubClient c = client();
        for (String bad : List.of("../evil", "a/../../evil", "/etc/passwd", "a//b", "./x", "", "a/..", "..\\evil")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> c.download("org/tiny", bad), bad);
            assertTrue(e.getMessage().contains("file name"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> c.download("org/tiny", "config.json", "../../x"));
        for (String bad : List.of("a/b/c", "-org/name", "org/name-", "org--x/name", "a..b", "org/name.git", "",
                "org/ name", "../x", "org/.x", "x".repeat(97))) {
            assertThrows(IllegalArgumentException.class, () -> c.download(bad, "config.json"), bad);
        }
        assertEquals(List.of(), hub.log, "nothing was asked of the hub");
        assertFalse(Files.exists(tmp.resolve("evil")));

        // A hostile server cannot name files outside the cache through its ETag either.
        hub.repo("org/hostile").commit(C1, Map.of("config.json", CONFIG), "main")
                .etagOverride.put("config.json", "../../../../evil");
        IOException e = assertThrows(IOException.class, () -> c.download("org/hostile", "config.json"));
        assertTrue(e.getMessage().contains("Refusing"), e.getMessage());
        try (Stream<Path> all = Files.walk(tmp)) {
            assertTrue(all.noneMatch(p -> p.getFileName().toString().equals("evil")));
        }
    }

    @Test
    void handWrittenPythonCacheIsFoundOffline() throws IOException {
        // Exactly what huggingface_hub leaves after hf_hub_download of three files and a 404 for pytorch_model.bin.
        Path repo = repoDir("models--google--bert_tiny");
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Files.write(blobs.resolve(FakeHub.gitSha1(CONFIG)), CONFIG);
        Files.write(blobs.resolve(WEIGHTS_SHA), WEIGHTS);
        Files.write(blobs.resolve(FakeHub.gitSha1(VOCAB)), VOCAB);
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(C1));
        Files.createSymbolicLink(snapshot.resolve("config.json"), Path.of("../../blobs/" + FakeHub.gitSha1(CONFIG)));
        Files.createSymbolicLink(snapshot.resolve("model.safetensors"), Path.of("../../blobs/" + WEIGHTS_SHA));
        Files.createDirectories(snapshot.resolve("tokenizer"));
        Files.createSymbolicLink(snapshot.resolve("tokenizer/vocab.txt"),
                Path.of("../../../blobs/" + FakeHub.gitSha1(VOCAB)));
        Files.createDirectories(repo.resolve("refs/refs/pr"));
        Files.writeString(repo.resolve("refs/main"), C1);
        Files.writeString(repo.resolve("refs/v1.0"), C1 + "\n");
        Files.writeString(repo.resolve("refs/refs/pr/1"), C1);
        Files.createDirectories(repo.resolve(".no_exist").resolve(C1));
        Files.createFile(repo.resolve(".no_exist").resolve(C1).resolve("pytorch_model.bin"));

        hub.close(); // nothing to ask
        HubOptions offline = options().withLocalFilesOnly(true);
        HubClient c = HubClient.create(offline);
        assertArrayEquals(CONFIG, Files.readAllBytes(c.download("google/bert_tiny", "config.json")));
        for (String revision : List.of("main", "v1.0", "refs/pr/1", C1)) {
            assertEquals(snapshot.resolve("model.safetensors"),
                    HubClient.create(offline.withRevision(revision)).download("google/bert_tiny", "model.safetensors"),
                    revision);
        }
        assertEquals(Optional.empty(), c.tryDownload("google/bert_tiny", "pytorch_model.bin"));
        assertThrows(EntryNotFoundException.class, () -> c.download("google/bert_tiny", "pytorch_model.bin"));
        assertThrows(LocalEntryNotFoundException.class,
                () -> HubClient.create(offline.withRevision("v2.0")).download("google/bert_tiny", "config.json"));

        ModelFiles files = ModelFiles.open("google/bert_tiny", offline);
        assertEquals(snapshot, files.folder());
        assertArrayEquals(VOCAB, Files.readAllBytes(files.file("tokenizer/vocab.txt").orElseThrow()));
        assertEquals(Optional.empty(), files.file("pytorch_model.bin"));
        assertEquals(Optional.empty(), files.file("model.safetensors.index.json"));
        assertEquals(snapshot, c.snapshotDownload("google/bert_tiny", null));

        // Online with the hub gone: the same files, with a warning.
        HubClient unreachable = HubClient.create(options());
        assertArrayEquals(CONFIG, Files.readAllBytes(unreachable.download("google/bert_tiny", "config.json")));
        assertEquals(snapshot, unreachable.repo("google/bert_tiny").folder());
    }

    @Test
    void revisionAsTagCommitAndPullRequest() throws IOException {
        byte[] v1 = "{\"v\": 1}".getBytes(StandardCharsets.UTF_8);
        byte[] v2 = "{\"v\": 2}".getBytes(StandardCharsets.UTF_8);
        byte[] v3 = "{\"v\": 3}".getBytes(StandardCharsets.UTF_8);
        hub.repo("org/versions").commit(C1, Map.of("config.json", v1), "v1.0")
                .commit(C2, Map.of("config.json", v2), "main")
                .commit(C3, Map.of("config.json", v3), "refs/pr/1");
        Path repo = repoDir("models--org--versions");

        assertArrayEquals(v2, Files.readAllBytes(client().download("org/versions", "config.json")));
        Path tagged = HubClient.create(options().withRevision("v1.0")).download("org/versions", "config.json");
        assertEquals(repo.resolve("snapshots").resolve(C1).resolve("config.json"), tagged);
        assertArrayEquals(v1, Files.readAllBytes(tagged));
        assertEquals(C1, Files.readString(repo.resolve("refs/v1.0")));
        assertEquals(C2, Files.readString(repo.resolve("refs/main")));

        Path pr = HubClient.create(options().withRevision("refs/pr/1")).download("org/versions", "config.json");
        assertArrayEquals(v3, Files.readAllBytes(pr));
        assertEquals(C3, Files.readString(repo.resolve("refs/refs/pr/1")));
        assertEquals(1, hub.count("HEAD /org/versions/resolve/refs%2Fpr%2F1/config.json"));

        int requests = hub.log.size();
        HubClient byCommit = HubClient.create(options().withRevision(C1));
        assertEquals(tagged, byCommit.download("org/versions", "config.json"));
        assertEquals(requests, hub.log.size(), "a cached file of a commit needs no request");
        assertFalse(Files.exists(repo.resolve("refs").resolve(C1)), "no ref is written for a commit hash");

        Path fresh = HubClient.create(options().withRevision(C2).withCacheDir(tmp.resolve("other")))
                .download("org/versions", "config.json");
        assertArrayEquals(v2, Files.readAllBytes(fresh));
        assertEquals(List.of(C2), list(tmp.resolve("other/models--org--versions/snapshots")));
        assertFalse(Files.exists(tmp.resolve("other/models--org--versions/refs")));

        RevisionNotFoundException e = assertThrows(RevisionNotFoundException.class,
                () -> HubClient.create(options().withRevision("nope")).download("org/versions", "config.json"));
        assertTrue(e.getMessage().contains("'nope'"), e.getMessage());
    }

    @Test
    void privateGatedAndMissing() throws IOException {
        hub.repo("org/private").commit(C1, Map.of("config.json", CONFIG), "main").token = "hf_secret";
        RepositoryNotFoundException noToken = assertThrows(RepositoryNotFoundException.class,
                () -> client().download("org/private", "config.json"));
        assertEquals(401, noToken.statusCode());
        assertTrue(noToken.getMessage().contains("HF_TOKEN"), noToken.getMessage());
        assertTrue(noToken.getMessage().contains("No token was sent"), noToken.getMessage());

        RepositoryNotFoundException wrong = assertThrows(RepositoryNotFoundException.class,
                () -> HubClient.create(options().withToken("hf_wrong")).download("org/private", "config.json"));
        assertTrue(wrong.getMessage().contains("token was sent"), wrong.getMessage());

        Path ok = HubClient.create(options().withToken("hf_secret")).download("org/private", "config.json");
        assertArrayEquals(CONFIG, Files.readAllBytes(ok));
        assertEquals("Bearer hf_secret", hub.auth.get(hub.auth.size() - 1));

        hub.repo("org/gated").commit(C1, Map.of("config.json", CONFIG), "main").gated = true;
        GatedRepoException gated = assertThrows(GatedRepoException.class,
                () -> client().download("org/gated", "config.json"));
        assertTrue(gated.getMessage().contains("gated"), gated.getMessage());
        assertThrows(GatedRepoException.class, () -> client().repo("org/gated"));

        RepositoryNotFoundException none = assertThrows(RepositoryNotFoundException.class,
                () -> client().download("org/nothing", "config.json"));
        assertEquals(404, none.statusCode());
        assertThrows(RepositoryNotFoundException.class, () -> client().snapshotDownload("org/nothing", null));

        assertEquals(Optional.empty(), client().tryDownload("org/tiny", "missing.txt"));
        Path repo = repoDir("models--org--tiny");
        assertTrue(Files.isRegularFile(repo.resolve(".no_exist").resolve(C1).resolve("missing.txt")));
        assertEquals(C1, Files.readString(repo.resolve("refs/main")));
        EntryNotFoundException entry = assertThrows(EntryNotFoundException.class,
                () -> client().download("org/tiny", "missing.txt"));
        assertTrue(entry.getMessage().contains("'missing.txt'"), entry.getMessage());
        assertEquals(Optional.empty(), HubClient.create(options().withLocalFilesOnly(true))
                .tryDownload("org/tiny", "missing.txt"), "the .no_exist marker answers offline");
    }

    @Test
    void endpointAndTokenFromEnvironment() throws IOException {
        hub.repo("org/private").commit(C1, Map.of("config.json", CONFIG), "main").token = "hf_fromfile";
        Path home = Files.createDirectories(tmp.resolve("hf-home"));
        Files.writeString(home.resolve("token"), "hf_fromfile\n");
        HubOptions env = HubOptions.fromEnvironment(Map.of("HF_HOME", home.toString(), "HF_ENDPOINT",
                hub.endpoint() + "/"));
        assertEquals(home.resolve("hub"), env.cacheDir());
        assertEquals(hub.endpoint(), env.endpoint());
        assertEquals("hf_fromfile", env.token());
        assertFalse(env.toString().contains("hf_fromfile"), env.toString());

        Path config = HubClient.create(env.withShowProgress(false)).download("org/private", "config.json");
        assertTrue(config.startsWith(home.resolve("hub/models--org--private/snapshots")), config.toString());
        assertEquals("Bearer hf_fromfile", hub.auth.get(hub.auth.size() - 1));
    }

    @Test
    void snapshotDownloadWithAllowPatterns() throws IOException {
        Path snapshot = client().snapshotDownload("org/tiny", List.of("*.json", "sub/"));
        Path repo = repoDir("models--org--tiny");
        assertEquals(repo.resolve("snapshots").resolve(C1), snapshot);
        assertArrayEquals(CONFIG, Files.readAllBytes(snapshot.resolve("config.json")));
        assertArrayEquals(VOCAB, Files.readAllBytes(snapshot.resolve("sub/dir/vocab.txt")));
        assertFalse(Files.exists(snapshot.resolve("model.safetensors")));
        assertEquals(C1, Files.readString(repo.resolve("refs/main")));
        assertEquals(0, hub.count("GET /cdn/"));

        assertEquals(snapshot, client().snapshotDownload("org/tiny", null));
        assertArrayEquals(WEIGHTS, Files.readAllBytes(snapshot.resolve("model.safetensors")));
        assertEquals(1, hub.count("HEAD /org/tiny/resolve/" + C1 + "/config.json"),
                "files already in the snapshot are not asked for again");
        assertEquals(snapshot, HubClient.create(options().withLocalFilesOnly(true))
                .snapshotDownload("org/tiny", List.of("*.json")));
    }

    @Test
    void relativeRedirectOfRenamedRepoIsFollowed() throws IOException {
        hub.renamed.put("old-org/tiny", "org/tiny");
        Path config = client().download("old-org/tiny", "config.json");
        assertArrayEquals(CONFIG, Files.readAllBytes(config));
        assertTrue(config.startsWith(repoDir("models--old-org--tiny")), "cached under the id asked for, as Python");
        assertEquals(1, hub.count("HEAD /old-org/tiny/resolve/main/config.json"));
        assertEquals(1, hub.count("HEAD /org/tiny/resolve/main/config.json"));
    }

    @Test
    void unreachableHubFallsBackToCache() throws IOException {
        Path config = client().download("org/tiny", "config.json");
        hub.close();
        assertEquals(config, client().download("org/tiny", "config.json"));
        LocalEntryNotFoundException e = assertThrows(LocalEntryNotFoundException.class,
                () -> client().download("org/tiny", "model.safetensors"));
        assertTrue(e.getMessage().contains("Could not fetch 'model.safetensors'"), e.getMessage());
        assertTrue(e.getMessage().contains("not in the cache"), e.getMessage());
        ModelFiles files = client().repo("org/tiny");
        assertEquals(Optional.of(config), files.file("config.json"));
        assertThrows(LocalEntryNotFoundException.class, () -> files.file("model.safetensors"),
                "online but unreachable is an error, not an absent file");
    }

    @Test
    void repoResolvesOnceAndDownloadsLazily() throws IOException {
        ModelFiles files = client().repo("org/tiny");
        assertEquals(1, hub.count("GET /api/models/org/tiny/revision/main"));
        assertEquals(0, hub.count("HEAD"), "nothing downloaded yet");
        assertEquals(repoDir("models--org--tiny").resolve("snapshots").resolve(C1), files.folder());
        assertEquals("org/tiny", files.describe());

        Path config = files.file("config.json").orElseThrow();
        assertArrayEquals(CONFIG, Files.readAllBytes(config));
        int requests = hub.log.size();
        assertEquals(Optional.empty(), files.file("pytorch_model.bin"), "not in the repo listing");
        assertEquals(Optional.of(config), files.file("config.json"));
        assertEquals(requests, hub.log.size(), "answered without requests");
        assertArrayEquals(WEIGHTS, Files.readAllBytes(files.file("model.safetensors").orElseThrow()));
        assertThrows(IllegalArgumentException.class, () -> files.file("../evil"));

        ModelFiles opened = ModelFiles.open("org/tiny", options());
        assertEquals(files.folder(), opened.folder());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> ModelFiles.open(tmp.resolve("no/such/dir").toString(), options()));
        assertTrue(bad.getMessage().contains("neither a local folder nor a hub repo id"), bad.getMessage());
    }

    @Test
    void concurrentDownloadsOfOneFileShareOneTransfer() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> client().download("org/tiny", "model.safetensors")));
            }
            for (Future<Path> r : results) {
                assertArrayEquals(WEIGHTS, Files.readAllBytes(r.get(30, TimeUnit.SECONDS)));
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, hub.count("GET /cdn/"), "the cache lock lets one thread download, the others reuse the blob");
        assertEquals(List.of(WEIGHTS_SHA), list(repoDir("models--org--tiny").resolve("blobs")));
    }

    @Test
    void progressBarGoesToStderrOnly() throws IOException {
        PrintStream out = System.out;
        PrintStream err = System.err;
        String forced = System.getProperty(ProgressBar.PROPERTY);
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        try {
            System.setProperty(ProgressBar.PROPERTY, "true");
            System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
            HubClient.create(options().withShowProgress(true)).download("org/tiny", "model.safetensors");
            HubClient.create(options().withShowProgress(false)).download("org/tiny", "config.json");
        } finally {
            System.setOut(out);
            System.setErr(err);
            if (forced == null) {
                System.clearProperty(ProgressBar.PROPERTY);
            } else {
                System.setProperty(ProgressBar.PROPERTY, forced);
            }
        }
        String bar = stderr.toString(StandardCharsets.UTF_8);
        assertTrue(bar.contains("model.safetensors: 100%|####################| 300k/300k"), bar);
        assertFalse(bar.contains("config.json"), "showProgress=false draws nothing");
        assertEquals("", stdout.toString(StandardCharsets.UTF_8));
    }

    private List<String> cdnGets() {
        synchronized (hub.log) {
            return hub.log.stream().filter(l -> l.startsWith("GET /cdn/")).toList();
        }
    }

    static List<String> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(42).nextBytes(b);
        return b;
    }
}
