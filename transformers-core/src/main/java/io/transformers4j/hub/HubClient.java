package io.transformers4j.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads model files from the Hugging Face hub into the cache layout huggingface_hub uses, so a checkpoint fetched
 * by Python is found here and the reverse (see {@link RepoCache} for the layout, {@link HubOptions} for the
 * environment variables).
 *
 * <p>Ports {@code hf_hub_download} and {@code snapshot_download} (huggingface_hub/file_download.py,
 * _snapshot_download.py): a HEAD on {@code {endpoint}/{repo}/resolve/{revision}/{file}} gives the commit
 * ({@code X-Repo-Commit}) and the content hash ({@code X-Linked-Etag} or {@code ETag}); the content goes to
 * {@code blobs/<etag>.incomplete}, resumes with a Range request when cut off, is checked against the SHA-256 when the
 * etag is one (LFS files), and is moved into place; the snapshot entry is a relative symlink to the blob. Offline, or
 * when the hub cannot be reached, files come from the cache alone.
 */
public final class HubClient {
    private static final Logger LOG = LoggerFactory.getLogger(HubClient.class);

    private static final Pattern COMMIT_HASH = Pattern.compile("[0-9a-f]{40}");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
    /** huggingface_hub's REPO_ID_REGEX (utils/_validators.py); Python's \w is Unicode-aware, so is this one. */
    private static final Pattern REPO_ID =
            Pattern.compile("(\\b[\\w\\-.]+\\b/)?\\b[\\w\\-.]{1,96}\\b", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    /** Python's HF_HUB_ETAG_TIMEOUT default. */
    private static final Duration METADATA_TIMEOUT = Duration.ofSeconds(10);
    /** Until the response headers arrive; Python's HF_HUB_DOWNLOAD_TIMEOUT default. */
    private static final Duration DOWNLOAD_TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_REDIRECTS = 10;
    /** Python's http_get retries a broken transfer five times, resuming each time. */
    private static final int MAX_RESUMES = 5;
    private static final String USER_AGENT = "transformers4j/0.1.0; java/" + Runtime.version().feature();
    private static final ObjectMapper JSON = new ObjectMapper();
    /** FileChannel locks are per process; threads of this JVM queue here first. */
    private static final ConcurrentHashMap<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    private final HubOptions options;
    private final String endpoint;
    private volatile HttpClient http;

    private HubClient(HubOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        Objects.requireNonNull(options.cacheDir(), "options.cacheDir");
        String e = options.endpoint() == null ? "https://huggingface.co" : options.endpoint();
        while (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        this.endpoint = e;
    }

    public static HubClient create(HubOptions options) {
        return new HubClient(options);
    }

    public HubOptions options() {
        return options;
    }

    /**
     * The files of model repo {@code repoId} at the options' revision. The revision is resolved to a commit now (one
     * request to {@code /api/models/{repo}/revision/{revision}}, none when it is a commit hash or offline), so every
     * file comes from the same commit, as transformers pins {@code _commit_hash}; files are downloaded on first
     * {@link ModelFiles#file}. Files the repo does not have answer empty without a request.
     */
    public ModelFiles repo(String repoId) throws IOException {
        validateRepoId(repoId);
        String revision = revision();
        RepoCache cache = new RepoCache(options.cacheDir(), repoId);
        RepoInfo info = COMMIT_HASH.matcher(revision).matches() ? new RepoInfo(revision, null)
                : resolveRepo(cache, repoId, revision);
        return new HubRepoFiles(cache, repoId, revision, info.sha(),
                info.siblings() == null ? null : Set.copyOf(info.siblings()));
    }

    /** {@code hf_hub_download} at the options' revision: the cached path of {@code filename}, downloading it if needed. */
    public Path download(String repoId, String filename) throws IOException {
        return download(repoId, filename, revision());
    }

    /**
     * {@code hf_hub_download}: the path of {@code filename} (relative, '/'-separated) inside
     * {@code snapshots/<commit>/} of the cache, downloaded if missing.
     *
     * @param revision a branch, tag (refs/pr/1 included) or commit hash
     * @throws RepositoryNotFoundException the repo does not exist or needs a token (HTTP 401); {@link GatedRepoException}
     *     when it is gated
     * @throws RevisionNotFoundException no such branch, tag or commit
     * @throws EntryNotFoundException no such file at that revision
     * @throws LocalEntryNotFoundException offline (or the hub unreachable) and the file is not in the cache
     * @throws HubException any other HTTP failure, a size or SHA-256 mismatch
     * @throws IllegalArgumentException a malformed repo id, or a file name or revision that would leave the cache
     */
    public Path download(String repoId, String filename, String revision) throws IOException {
        validateRepoId(repoId);
        checkRelativePath(filename, "file name");
        checkRelativePath(revision, "revision");
        RepoCache cache = new RepoCache(options.cacheDir(), repoId);

        // A commit's files never change: one already in its snapshot needs no request.
        if (COMMIT_HASH.matcher(revision).matches()) {
            Path pointer = cache.pointerPath(revision, filename);
            if (Files.exists(pointer)) {
                return pointer;
            }
        }
        if (options.localFilesOnly()) {
            return fromCache(cache, repoId, filename, revision, null);
        }

        URI url = URI.create(endpoint + "/" + repoId + "/resolve/" + quote(revision, "") + "/" + quote(filename, "/"));
        FileMetadata meta;
        try {
            meta = fileMetadata(url, cache, repoId, revision, filename);
        } catch (EntryNotFoundException | RevisionNotFoundException | SSLException | InterruptedIOException e) {
            throw e;
        } catch (IOException e) {
            // Unreachable, 5xx, no access: Python falls back to what the cache holds for this revision.
            return fromCache(cache, repoId, filename, revision, e);
        }

        cache.writeRef(revision, meta.commitHash());
        Path pointer = cache.pointerPath(meta.commitHash(), filename);
        if (Files.exists(pointer)) {
            return pointer;
        }
        Path blob = cache.blobPath(meta.etag());
        if (Files.exists(blob)) {
            // Same content already downloaded for another commit or file name.
            cache.link(blob, pointer);
            return pointer;
        }
        CacheLock lock = CacheLock.acquire(cache.lockPath(meta.etag()));
        try {
            if (!Files.exists(blob)) { // another thread or process may have finished it while we waited
                fetchBlob(meta, blob, repoId, revision, filename);
            }
            cache.link(blob, pointer);
        } finally {
            lock.close();
        }
        return pointer;
    }

    /** {@link #download(String, String)}, empty when the repo has no such file. */
    public Optional<Path> tryDownload(String repoId, String filename) throws IOException {
        return tryDownload(repoId, filename, revision());
    }

    /**
     * {@link #download(String, String, String)}, empty when the hub says the repo has no such file (or said so earlier,
     * as recorded in the cache's {@code .no_exist} folder). Offline and not cached still throws
     * {@link LocalEntryNotFoundException}: the file may exist.
     */
    public Optional<Path> tryDownload(String repoId, String filename, String revision) throws IOException {
        try {
            return Optional.of(download(repoId, filename, revision));
        } catch (EntryNotFoundException e) {
            return Optional.empty();
        }
    }

    /**
     * {@code snapshot_download} at the options' revision: every file of the repo matching one of
     * {@code allowPatterns} (fnmatch-style: {@code *} also matches '/', a pattern ending in '/' means the whole
     * folder; null or empty = all files), downloaded into {@code snapshots/<commit>/}, which is returned. Offline, the
     * cached snapshot folder is returned as it is.
     */
    public Path snapshotDownload(String repoId, List<String> allowPatterns) throws IOException {
        validateRepoId(repoId);
        String revision = revision();
        RepoCache cache = new RepoCache(options.cacheDir(), repoId);
        RepoInfo info = resolveRepo(cache, repoId, revision);
        Path folder = cache.snapshotDir(info.sha());
        if (info.siblings() == null) {
            return folder; // from the cache
        }
        for (String file : info.siblings()) {
            if (matchesAny(file, allowPatterns)) {
                download(repoId, file, info.sha());
            }
        }
        Files.createDirectories(folder);
        return folder;
    }

    /** The repo's folder name in the cache: {@code models--org--name} (Python's {@code repo_folder_name}). */
    public static String repoFolderName(String repoId) {
        validateRepoId(repoId);
        return "models--" + repoId.replace("/", "--");
    }

    /**
     * Python's {@code validate_repo_id}: {@code name} or {@code namespace/name}, letters, digits, '-', '_', '.', not
     * starting or ending with '-' or '.', no "--" or "..", at most 96 characters per name.
     */
    public static void validateRepoId(String repoId) {
        if (repoId == null || repoId.isEmpty()) {
            throw new IllegalArgumentException("Repo id must not be empty");
        }
        if (repoId.chars().filter(c -> c == '/').count() > 1) {
            throw new IllegalArgumentException(
                    "Repo id must be in the form 'repo_name' or 'namespace/repo_name': '" + repoId + "'.");
        }
        if (!REPO_ID.matcher(repoId).matches()) {
            throw new IllegalArgumentException("Repo id must use alphanumeric chars or '-', '_', '.', '--' and '..' are"
                    + " forbidden, '-' and '.' cannot start or end the name, max length is 96: '" + repoId + "'.");
        }
        if (repoId.contains("--") || repoId.contains("..")) {
            throw new IllegalArgumentException("Cannot have -- or .. in repo id: '" + repoId + "'.");
        }
        if (repoId.endsWith(".git")) {
            throw new IllegalArgumentException("Repo id cannot end with '.git': '" + repoId + "'.");
        }
    }

    /** A file name or revision becomes a path under the cache: it must stay a plain relative '/'-separated path. */
    static void checkRelativePath(String path, String what) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("The " + what + " must not be empty");
        }
        boolean windowsDrive = File.separatorChar == '\\' && path.length() > 1 && path.charAt(1) == ':';
        if (path.startsWith("/") || path.indexOf('\\') >= 0 || path.indexOf('\0') >= 0 || windowsDrive) {
            throw new IllegalArgumentException("Refusing " + what + " '" + path
                    + "': it must be a relative '/'-separated path inside the repository");
        }
        for (String segment : path.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                throw new IllegalArgumentException("Refusing " + what + " '" + path
                        + "': '..', '.' and empty path segments could leave the cache folder");
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Cache look-ups

    private Path fromCache(RepoCache cache, String repoId, String filename, String revision, IOException cause)
            throws IOException {
        Optional<String> commit = cache.resolveRevision(revision);
        if (commit.isPresent()) {
            Path pointer = cache.pointerPath(commit.get(), filename);
            if (Files.exists(pointer)) {
                if (cause != null) {
                    LOG.warn("Could not reach {} for '{}' of {} ({}); using the cached copy from commit {}", endpoint,
                            filename, repoId, message(cause), commit.get());
                }
                return pointer;
            }
            Path marker = cache.noExistPath(commit.get(), filename);
            if (Files.exists(marker)) {
                throw new EntryNotFoundException("'" + filename + "' does not exist in " + where(repoId, revision)
                        + " (the hub said so earlier, as recorded by " + marker + ")", 404);
            }
        }
        if (cause instanceof RepositoryNotFoundException) {
            throw (RepositoryNotFoundException) cause;
        }
        if (cause == null) {
            throw new LocalEntryNotFoundException("'" + filename + "' of " + where(repoId, revision)
                    + " is not in the cache " + cache.root() + " and offline mode is on (HF_HUB_OFFLINE=1 or"
                    + " HubOptions.localFilesOnly), so it cannot be downloaded. Download it once online, or turn"
                    + " offline mode off.");
        }
        throw new LocalEntryNotFoundException("Could not fetch '" + filename + "' of " + where(repoId, revision)
                + " from " + endpoint + " (" + message(cause) + ") and it is not in the cache " + cache.root()
                + ". Check your connection, HF_ENDPOINT and HF_TOKEN.", cause);
    }

    /**
     * The commit and file list of a repo revision from the hub API, or (offline, unreachable) the commit of a cached
     * snapshot with a null file list.
     */
    private RepoInfo resolveRepo(RepoCache cache, String repoId, String revision) throws IOException {
        checkRelativePath(revision, "revision");
        IOException cause = null;
        if (!options.localFilesOnly()) {
            try {
                RepoInfo info = repoInfo(repoId, revision);
                cache.writeRef(revision, info.sha());
                Files.createDirectories(cache.snapshotDir(info.sha()));
                return info;
            } catch (RevisionNotFoundException | SSLException | InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                cause = e;
            }
        }
        Optional<String> commit = cache.resolveRevision(revision);
        if (commit.isPresent() && Files.isDirectory(cache.snapshotDir(commit.get()))) {
            if (cause != null) {
                LOG.warn("Could not reach {} for {} ({}); using the cached snapshot of commit {}", endpoint,
                        where(repoId, revision), message(cause), commit.get());
            }
            return new RepoInfo(commit.get(), null);
        }
        if (cause instanceof RepositoryNotFoundException) {
            throw (RepositoryNotFoundException) cause;
        }
        if (cause == null) {
            throw new LocalEntryNotFoundException(where(repoId, revision) + " is not in the cache " + cache.root()
                    + " and offline mode is on (HF_HUB_OFFLINE=1 or HubOptions.localFilesOnly). Download it once"
                    + " online, or turn offline mode off.");
        }
        throw new LocalEntryNotFoundException("Could not reach " + endpoint + " for " + where(repoId, revision) + " ("
                + message(cause) + ") and it is not in the cache " + cache.root()
                + ". Check your connection, HF_ENDPOINT and HF_TOKEN.", cause);
    }

    // ---------------------------------------------------------------------------------------------------------------
    // HTTP

    private record FileMetadata(String commitHash, String etag, URI location, long size) {}

    private record RepoInfo(String sha, List<String> siblings) {}

    /**
     * Python's {@code get_hf_file_metadata}: a HEAD that follows relative redirects (a renamed repo) but not absolute
     * ones, whose Location is the CDN address of an LFS file; the metadata headers are on that redirect.
     */
    private FileMetadata fileMetadata(URI url, RepoCache cache, String repoId, String revision, String filename)
            throws IOException {
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest request = request(current, METADATA_TIMEOUT)
                    .method("HEAD", HttpRequest.BodyPublishers.noBody()).build();
            HttpResponse<Void> response = send(request, HttpResponse.BodyHandlers.discarding());
            int status = response.statusCode();
            URI location = current;
            if (status >= 300 && status < 400) {
                Optional<String> target = response.headers().firstValue("Location");
                if (target.isPresent()) {
                    URI next = parseLocation(current, target.get());
                    if (next.getHost() == null) {
                        current = current.resolve(next); // relative: the same hub (a renamed repo)
                        continue;
                    }
                    location = next; // absolute: the CDN address of an LFS file
                }
            }
            if (status >= 400) {
                HubException error = httpError(response, null, repoId, revision, filename);
                Optional<String> commit = response.headers().firstValue("X-Repo-Commit");
                if (error instanceof EntryNotFoundException && commit.isPresent()
                        && RepoCache.isSafeName(commit.get())) {
                    // Remembered so that offline look-ups can answer "no such file" without asking.
                    cache.markMissing(commit.get(), filename);
                    cache.writeRef(revision, commit.get());
                }
                throw error;
            }
            String commit = response.headers().firstValue("X-Repo-Commit").orElse(null);
            String etag = normalizeEtag(response.headers().firstValue("X-Linked-Etag")
                    .or(() -> response.headers().firstValue("ETag")).orElse(null));
            long size = response.headers().firstValue("X-Linked-Size")
                    .or(() -> response.headers().firstValue("Content-Length"))
                    .map(HubClient::parseLongOrNegative).orElse(-1L);
            if (commit == null || etag == null) {
                throw new HubException(current + " answered without " + (commit == null ? "X-Repo-Commit" : "ETag")
                        + ", which a Hugging Face hub always sends; does HF_ENDPOINT (" + endpoint
                        + ") point at a hub?", status);
            }
            if (!RepoCache.isSafeName(commit) || !RepoCache.isSafeName(etag)) {
                throw new HubException("Refusing the commit '" + commit + "' / ETag '" + etag + "' sent by " + current
                        + " for '" + filename + "': they become cache file names and must be plain hashes", status);
            }
            return new FileMetadata(commit, etag, location, size);
        }
        throw new HubException("More than " + MAX_REDIRECTS + " redirects resolving " + url, -1);
    }

    /** {@code GET /api/models/{repo}/revision/{revision}}: the commit hash and file list. */
    private RepoInfo repoInfo(String repoId, String revision) throws IOException {
        URI current = URI.create(endpoint + "/api/models/" + repoId + "/revision/" + quote(revision, ""));
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<InputStream> response = send(request(current, METADATA_TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = response.body()) {
                body = in.readAllBytes();
            }
            int status = response.statusCode();
            if (status >= 300 && status < 400 && response.headers().firstValue("Location").isPresent()) {
                current = location(current, response.headers().firstValue("Location").get());
                continue;
            }
            if (status >= 400) {
                throw httpError(response, new String(body, StandardCharsets.UTF_8), repoId, revision, null);
            }
            JsonNode json;
            try {
                json = JSON.readTree(body);
            } catch (IOException e) {
                throw new HubException(current + " did not answer JSON (" + message(e) + "); does HF_ENDPOINT ("
                        + endpoint + ") point at a hub?", status, e);
            }
            String sha = json == null ? null : json.path("sha").asText(null);
            if (!RepoCache.isSafeName(sha)) {
                throw new HubException(current + " answered without a usable commit \"sha\": " + sha, status);
            }
            List<String> files = new ArrayList<>();
            for (JsonNode sibling : json.path("siblings")) {
                String name = sibling.path("rfilename").asText(null);
                if (name != null) {
                    checkRelativePath(name, "file name listed by " + current);
                    files.add(name);
                }
            }
            return new RepoInfo(sha, files);
        }
        throw new HubException("More than " + MAX_REDIRECTS + " redirects resolving " + current, -1);
    }

    /**
     * Python's {@code http_get} into {@code blobs/<etag>.incomplete}: resumes what an earlier run left there, resumes
     * again (Range request) when the connection breaks, then checks size and SHA-256 and moves the blob into place.
     * A file that fails the checks is deleted: resuming it could never repair it.
     */
    private void fetchBlob(FileMetadata meta, Path blob, String repoId, String revision, String filename)
            throws IOException {
        Files.createDirectories(blob.getParent());
        Path incomplete = blob.resolveSibling(blob.getFileName() + ".incomplete");
        MessageDigest digest = SHA256_HEX.matcher(meta.etag()).matches() ? sha256() : null;
        try (FileChannel out = FileChannel.open(incomplete, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            long have = out.size();
            if (meta.size() >= 0 && have > meta.size()) {
                out.truncate(0);
                have = 0;
            }
            if (digest != null && have > 0) {
                hashPrefix(incomplete, have, digest);
            }
            out.position(have);
            try (ProgressBar bar = ProgressBar.start(options, filename, meta.size(), have)) {
                for (int resumes = 0; ; resumes++) {
                    try {
                        transfer(meta, out, digest, bar, repoId, revision, filename);
                        break;
                    } catch (BrokenTransfer e) {
                        if (resumes >= MAX_RESUMES || Thread.currentThread().isInterrupted()) {
                            throw new HubException("Download of '" + filename + "' from " + meta.location()
                                    + " broke off at byte " + out.position() + " (" + message(e.getCause()) + ") after "
                                    + resumes + " resumes; the partial file " + incomplete
                                    + " is kept and the next try continues from it", -1, e.getCause());
                        }
                        LOG.warn("Download of '{}' broke off at byte {} ({}); resuming", filename, out.position(),
                                message(e.getCause()));
                    }
                }
            }
            out.force(false);
        }

        long size = Files.size(incomplete);
        if (meta.size() >= 0 && size != meta.size()) {
            Files.deleteIfExists(incomplete);
            throw new HubException("Consistency check failed: '" + filename + "' of " + where(repoId, revision)
                    + " should be " + meta.size() + " bytes but " + size + " arrived; the partial file was deleted,"
                    + " try again", -1);
        }
        if (digest != null) {
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(meta.etag())) {
                Files.deleteIfExists(incomplete);
                throw new HubException("SHA-256 mismatch for '" + filename + "' of " + where(repoId, revision)
                        + ": the hub's ETag says " + meta.etag() + " but the downloaded bytes hash to " + actual
                        + "; the download was deleted, try again", -1);
            }
        }
        RepoCache.moveReplacing(incomplete, blob);
    }

    /** One GET (following redirects) appending to {@code out} from its position. */
    private void transfer(FileMetadata meta, FileChannel out, MessageDigest digest, ProgressBar bar, String repoId,
            String revision, String filename) throws IOException {
        URI current = meta.location();
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            long have = out.position();
            HttpRequest.Builder request = request(current, DOWNLOAD_TIMEOUT).GET();
            if (have > 0) {
                request.header("Range", "bytes=" + have + "-");
            }
            HttpResponse<InputStream> response;
            try {
                response = send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedIOException | SSLException e) {
                throw e;
            } catch (IOException e) {
                throw new BrokenTransfer(e);
            }
            int status = response.statusCode();
            try (InputStream in = response.body()) {
                if (status >= 300 && status < 400 && response.headers().firstValue("Location").isPresent()) {
                    current = location(current, response.headers().firstValue("Location").get());
                    continue;
                }
                if (status == 416 && have > 0) {
                    // The partial file is not a prefix the server recognises: start again from byte 0.
                    restart(out, digest, bar);
                    continue;
                }
                if (status >= 400) {
                    throw httpError(response, new String(in.readNBytes(4096), StandardCharsets.UTF_8), repoId,
                            revision, filename);
                }
                if (have > 0 && status != 206) {
                    restart(out, digest, bar); // the server ignored the Range header and sends everything
                } else if (status == 206) {
                    String range = response.headers().firstValue("Content-Range").orElse("");
                    if (!range.startsWith("bytes " + have + "-")) {
                        throw new HubException("Asked " + current + " for bytes " + have + "- of '" + filename
                                + "' but it sent '" + range + "'", status);
                    }
                }
                byte[] buffer = new byte[1 << 16];
                while (true) {
                    int n;
                    try {
                        n = in.read(buffer);
                    } catch (InterruptedIOException e) {
                        throw e;
                    } catch (IOException e) {
                        throw new BrokenTransfer(e);
                    }
                    if (n < 0) {
                        break;
                    }
                    ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                    while (chunk.hasRemaining()) {
                        out.write(chunk);
                    }
                    if (digest != null) {
                        digest.update(buffer, 0, n);
                    }
                    if (bar != null) {
                        bar.advance(n);
                    }
                }
                if (meta.size() >= 0 && out.position() < meta.size()) {
                    throw new BrokenTransfer(new EOFException("connection closed after " + out.position() + " of "
                            + meta.size() + " bytes"));
                }
                return;
            }
        }
        throw new HubException("More than " + MAX_REDIRECTS + " redirects downloading " + meta.location(), -1);
    }

    private static void restart(FileChannel out, MessageDigest digest, ProgressBar bar) throws IOException {
        out.truncate(0);
        out.position(0);
        if (digest != null) {
            digest.reset();
        }
        if (bar != null) {
            bar.reset();
        }
    }

    /** A network failure in the middle of a transfer, which a Range request can continue. */
    private static final class BrokenTransfer extends IOException {
        private static final long serialVersionUID = 1L;

        BrokenTransfer(IOException cause) {
            super(cause);
        }
    }

    /** Python's {@code hf_raise_for_status}: the hub's X-Error-Code says which of its errors this is. */
    private HubException httpError(HttpResponse<?> response, String body, String repoId, String revision,
            String filename) {
        int status = response.statusCode();
        String code = response.headers().firstValue("X-Error-Code").orElse("");
        String serverMessage = response.headers().firstValue("X-Error-Message").orElse(null);
        if (serverMessage == null && body != null && !body.isBlank()) {
            serverMessage = body.strip();
            try {
                JsonNode json = JSON.readTree(body);
                if (json != null && json.hasNonNull("error")) {
                    serverMessage = json.get("error").asText();
                }
            } catch (IOException notJson) {
                // keep the raw text
            }
            if (serverMessage.length() > 300) {
                serverMessage = serverMessage.substring(0, 300) + "...";
            }
        }
        String said = serverMessage == null ? "" : " The hub said: " + serverMessage;
        switch (code) {
            case "RevisionNotFound":
                return new RevisionNotFoundException("Revision '" + revision + "' not found in repo '" + repoId
                        + "' (HTTP " + status + "). Check the branch, tag or commit name (HubOptions.revision)." + said,
                        status);
            case "EntryNotFound":
                return new EntryNotFoundException("'" + filename + "' not found in " + where(repoId, revision)
                        + " (HTTP " + status + ")." + said, status);
            case "GatedRepo":
                return new GatedRepoException("Repo '" + repoId + "' is gated (HTTP " + status + "): accept its"
                        + " conditions at " + endpoint + "/" + repoId + " while logged in, then set HF_TOKEN (or"
                        + " HubOptions.token) to a token of that account." + said, status);
            default:
                break;
        }
        if (code.equals("RepoNotFound") || status == 401) {
            String token = options.token() == null ? " No token was sent."
                    : " A token was sent but does not give access to this repo.";
            return new RepositoryNotFoundException("Repository '" + repoId + "' was not found or needs"
                    + " authentication (HTTP " + status + "). Check the repo id; if the repo is private or gated, set"
                    + " HF_TOKEN (or HubOptions.token, or the token file $HF_HOME/token) to a token with access."
                    + token + said, status);
        }
        if (status == 403) {
            return new HubException("Access to " + where(repoId, revision) + " was refused (HTTP 403): the token"
                    + " lacks permission for this repo." + said, status);
        }
        return new HubException("HTTP " + status + " from " + response.request().uri()
                + (filename == null ? "" : " for '" + filename + "'") + "." + said, status);
    }

    private HttpRequest.Builder request(URI uri, Duration timeout) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout)
                .header("User-Agent", USER_AGENT)
                // The size and the hash are those of the raw bytes; a compressed transfer would change both.
                .header("Accept-Encoding", "identity");
        if (options.token() != null && !options.token().isBlank() && sameOrigin(uri, URI.create(endpoint))) {
            // Never sent to the CDN (another host), as Python drops it on cross-host redirects.
            b.header("Authorization", "Bearer " + options.token().strip());
        }
        return b;
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) throws IOException {
        try {
            return http().send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("Interrupted while requesting " + request.uri());
        }
    }

    private HttpClient http() {
        HttpClient h = http;
        if (h == null) {
            synchronized (this) {
                if (http == null) {
                    // Redirects are followed by hand: the HEAD must stop at the CDN redirect, and the token must not
                    // follow a redirect to another host.
                    http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
                            .version(HttpClient.Version.HTTP_1_1).connectTimeout(CONNECT_TIMEOUT).build();
                }
                h = http;
            }
        }
        return h;
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Helpers

    private String revision() {
        String r = options.revision();
        return r == null || r.isEmpty() ? "main" : r;
    }

    private static String where(String repoId, String revision) {
        return "repo '" + repoId + "' at revision '" + revision + "'";
    }

    private static String message(Throwable e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }

    private static URI location(URI base, String location) throws HubException {
        return base.resolve(parseLocation(base, location));
    }

    /** A Location header as it is: relative ones have no host. */
    private static URI parseLocation(URI base, String location) throws HubException {
        try {
            return new URI(location.trim());
        } catch (URISyntaxException e) {
            throw new HubException(base + " redirected to an invalid address '" + location + "'", -1, e);
        }
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme() != null && a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null
                && a.getHost().equalsIgnoreCase(b.getHost()) && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    /** Python's {@code _normalize_etag}: drop the weak marker and the quotes. */
    static String normalizeEtag(String etag) {
        if (etag == null) {
            return null;
        }
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        while (e.startsWith("\"")) {
            e = e.substring(1);
        }
        while (e.endsWith("\"")) {
            e = e.substring(0, e.length() - 1);
        }
        return e.isEmpty() ? null : e;
    }

    private static long parseLongOrNegative(String s) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Python's {@code urllib.parse.quote}: UTF-8 percent-encoding, letters, digits, "_.-~" and {@code safe} kept. */
    static String quote(String s, String safe) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "_.-~".indexOf(c) >= 0
                    || safe.indexOf(c) >= 0) {
                sb.append((char) c);
            } else {
                sb.append('%').append(String.format(Locale.ROOT, "%02X", c));
            }
        }
        return sb.toString();
    }

    /** huggingface_hub's {@code filter_repo_objects} with allow patterns only. */
    static boolean matchesAny(String path, List<String> patterns) {
        if (patterns == null || patterns.isEmpty()) {
            return true;
        }
        for (String p : patterns) {
            if (fnmatch(path, p.endsWith("/") ? p + "*" : p)) {
                return true;
            }
        }
        return false;
    }

    /** Python's {@code fnmatch.fnmatchcase} (case-sensitive, as fnmatch is on POSIX): *, ?, [seq], [!seq]. */
    static boolean fnmatch(String name, String pattern) {
        StringBuilder re = new StringBuilder();
        int i = 0;
        int n = pattern.length();
        while (i < n) {
            char c = pattern.charAt(i++);
            if (c == '*') {
                re.append(".*");
            } else if (c == '?') {
                re.append('.');
            } else if (c == '[') {
                int j = i;
                if (j < n && pattern.charAt(j) == '!') {
                    j++;
                }
                if (j < n && pattern.charAt(j) == ']') {
                    j++;
                }
                while (j < n && pattern.charAt(j) != ']') {
                    j++;
                }
                if (j >= n) {
                    re.append("\\[");
                } else {
                    String set = pattern.substring(i, j).replace("\\", "\\\\").replace("[", "\\[")
                            .replace("&&", "\\&\\&");
                    i = j + 1;
                    if (set.startsWith("!")) {
                        set = "^" + set.substring(1);
                    } else if (set.startsWith("^")) {
                        set = "\\" + set;
                    }
                    re.append('[').append(set).append(']');
                }
            } else {
                re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return Pattern.compile(re.toString(), Pattern.DOTALL).matcher(name).matches();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JDK has no SHA-256", e);
        }
    }

    private static void hashPrefix(Path file, long length, MessageDigest digest) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 16];
            long left = length;
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new EOFException(file + " shrank while being read");
                }
                digest.update(buffer, 0, n);
                left -= n;
            }
        }
    }

    /**
     * The lock Python takes around a blob download ({@code .locks/models--org--name/<etag>.lock}), so two processes
     * (or threads) never write the same {@code .incomplete} file.
     */
    private static final class CacheLock implements AutoCloseable {
        private final ReentrantLock jvmLock;
        private final FileChannel channel;
        private final FileLock fileLock;

        private CacheLock(ReentrantLock jvmLock, FileChannel channel, FileLock fileLock) {
            this.jvmLock = jvmLock;
            this.channel = channel;
            this.fileLock = fileLock;
        }

        static CacheLock acquire(Path lockFile) throws IOException {
            ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, k -> new ReentrantLock());
            try {
                jvmLock.lockInterruptibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("Interrupted while waiting for " + lockFile);
            }
            FileChannel channel = null;
            try {
                Files.createDirectories(lockFile.getParent());
                channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock fileLock;
                try {
                    fileLock = channel.lock();
                } catch (IOException unsupported) {
                    // Some network file systems have no locks; the in-process lock still orders this JVM's threads.
                    LOG.debug("No file lock on {} ({}); going on without", lockFile, message(unsupported));
                    fileLock = null;
                }
                return new CacheLock(jvmLock, channel, fileLock);
            } catch (IOException | RuntimeException e) {
                if (channel != null) {
                    channel.close();
                }
                jvmLock.unlock();
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                if (fileLock != null) {
                    fileLock.release();
                }
                channel.close();
            } finally {
                jvmLock.unlock();
            }
        }
    }

    /** A hub repo pinned to one commit; files are fetched on first use. */
    private final class HubRepoFiles implements ModelFiles {
        private final RepoCache cache;
        private final String repoId;
        private final String revision;
        private final String commit;
        private final Set<String> siblings; // null when unknown (offline, or a commit revision)

        HubRepoFiles(RepoCache cache, String repoId, String revision, String commit, Set<String> siblings) {
            this.cache = cache;
            this.repoId = repoId;
            this.revision = revision;
            this.commit = commit;
            this.siblings = siblings;
        }

        @Override
        public Optional<Path> file(String filename) throws IOException {
            Path pointer = cache.pointerPath(commit, filename);
            if (Files.exists(pointer)) {
                return Optional.of(pointer);
            }
            if (Files.exists(cache.noExistPath(commit, filename))
                    || siblings != null && !siblings.contains(filename)) {
                return Optional.empty();
            }
            try {
                return Optional.of(download(repoId, filename, commit));
            } catch (EntryNotFoundException e) {
                return Optional.empty();
            } catch (LocalEntryNotFoundException e) {
                // Offline, a cached snapshot without the file means the file is absent as far as we can know, which
                // lets loaders try their alternatives (transformers' cached_file does the same).
                if (options.localFilesOnly()) {
                    return Optional.empty();
                }
                throw e;
            }
        }

        @Override
        public Path folder() {
            return cache.snapshotDir(commit);
        }

        @Override
        public String describe() {
            return revision.equals("main") ? repoId : repoId + "@" + revision;
        }
    }
}
