package io.transformers4j.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local HTTP server that answers like the hub: {@code HEAD/GET /{repo}/resolve/{revision}/{file}} with ETag and
 * X-Repo-Commit, LFS files through a 302 to an absolute {@code /cdn/<sha256>} address carrying X-Linked-Etag and
 * X-Linked-Size, 401/404 with X-Error-Code, Range requests (206), {@code GET /api/models/{repo}/revision/{rev}}, and
 * injected faults (a body cut off once, a corrupted body, a server that ignores Range).
 */
final class FakeHub implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-");

    static final class Repo {
        final String id;
        /** Non-null: a private repo, readable only with "Bearer " + token. */
        String token;
        /** Gated: 401 with X-Error-Code GatedRepo without a token. */
        boolean gated;
        /** Send small files' ETag as a weak one ({@code W/"..."}). */
        boolean weakEtags;
        final Map<String, String> refs = new HashMap<>();
        final Map<String, Map<String, byte[]>> commits = new LinkedHashMap<>();
        final Set<String> lfs = new HashSet<>();
        /** Replaces the ETag sent for a file (to test that hostile values are refused). */
        final Map<String, String> etagOverride = new HashMap<>();

        Repo(String id) {
            this.id = id;
        }

        /** Adds commit {@code sha} holding {@code files}, pointed at by the given branches or tags. */
        Repo commit(String sha, Map<String, byte[]> files, String... refNames) {
            commits.put(sha, new LinkedHashMap<>(files));
            for (String r : refNames) {
                refs.put(r, sha);
            }
            return this;
        }
    }

    private final HttpServer server;
    private final String endpoint;
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, byte[]> cdn = new ConcurrentHashMap<>();
    /** Old repo id to new: the resolve endpoint answers a relative 307, as the hub does for renamed repos. */
    final Map<String, String> renamed = new ConcurrentHashMap<>();
    /** "METHOD rawPath [Range]" of every request. */
    final List<String> log = Collections.synchronizedList(new ArrayList<>());
    /** Authorization header of every request ("" when none), in order. */
    final List<String> auth = Collections.synchronizedList(new ArrayList<>());
    /** sha256 of CDN bodies to cut off in the middle, once each. */
    final Set<String> cutOnce = ConcurrentHashMap.newKeySet();
    /** sha256 of CDN bodies to send with one byte flipped. */
    final Set<String> corrupt = ConcurrentHashMap.newKeySet();
    /** Answer every GET with the whole body (200), ignoring Range. */
    volatile boolean ignoreRange;

    FakeHub() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
        // Kept: once stopped, the same address is what "the hub is unreachable" looks like.
        endpoint = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    String endpoint() {
        return endpoint;
    }

    Repo repo(String id) {
        return repos.computeIfAbsent(id, Repo::new);
    }

    long count(String prefix) {
        synchronized (log) {
            return log.stream().filter(l -> l.startsWith(prefix)).count();
        }
    }

    private boolean stopped;

    /** Stops the server: later requests find nothing listening. */
    @Override
    public synchronized void close() {
        if (!stopped) {
            stopped = true;
            server.stop(0);
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            String raw = ex.getRequestURI().getRawPath();
            String range = ex.getRequestHeaders().getFirst("Range");
            log.add(method + " " + raw + (range == null ? "" : " " + range));
            String authorization = ex.getRequestHeaders().getFirst("Authorization");
            auth.add(authorization == null ? "" : authorization);
            if (raw.startsWith("/cdn/")) {
                String sha = raw.substring("/cdn/".length());
                byte[] body = cdn.get(sha);
                if (body == null) {
                    empty(ex, 404);
                } else {
                    serve(ex, body, sha);
                }
            } else if (raw.startsWith("/api/models/")) {
                api(ex, raw.substring("/api/models/".length()), authorization);
            } else if (raw.contains("/resolve/")) {
                resolve(ex, raw, authorization);
            } else {
                empty(ex, 404);
            }
        }
    }

    private void resolve(HttpExchange ex, String raw, String authorization) throws IOException {
        int at = raw.indexOf("/resolve/");
        String id = raw.substring(1, at);
        String rest = raw.substring(at + "/resolve/".length());
        if (renamed.containsKey(id)) {
            ex.getResponseHeaders().set("Location", "/" + renamed.get(id) + "/resolve/" + rest);
            empty(ex, 307);
            return;
        }
        int slash = rest.indexOf('/');
        String revision = decode(rest.substring(0, slash));
        String path = decode(rest.substring(slash + 1));
        Repo repo = access(ex, id, authorization);
        if (repo == null) {
            return;
        }
        String commit = commitOf(repo, revision);
        if (commit == null) {
            error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
            return;
        }
        ex.getResponseHeaders().set("X-Repo-Commit", commit);
        byte[] content = repo.commits.get(commit).get(path);
        if (content == null) {
            error(ex, 404, "EntryNotFound", "Entry not found");
            return;
        }
        if (repo.lfs.contains(path)) {
            String sha = hex("SHA-256", content);
            cdn.put(sha, content);
            ex.getResponseHeaders().set("ETag", "\"" + gitSha1(("pointer " + sha).getBytes(StandardCharsets.UTF_8)) + "\"");
            ex.getResponseHeaders().set("X-Linked-Etag", "\"" + repo.etagOverride.getOrDefault(path, sha) + "\"");
            ex.getResponseHeaders().set("X-Linked-Size", Long.toString(content.length));
            ex.getResponseHeaders().set("Location", endpoint() + "/cdn/" + sha + "?X-Amz-Signature=abc");
            empty(ex, 302);
            return;
        }
        String etag = repo.etagOverride.getOrDefault(path, gitSha1(content));
        ex.getResponseHeaders().set("ETag", (repo.weakEtags ? "W/" : "") + "\"" + etag + "\"");
        serve(ex, content, null);
    }

    private void api(HttpExchange ex, String rest, String authorization) throws IOException {
        int at = rest.lastIndexOf("/revision/");
        String id = rest.substring(0, at);
        String revision = decode(rest.substring(at + "/revision/".length()));
        Repo repo = access(ex, id, authorization);
        if (repo == null) {
            return;
        }
        String commit = commitOf(repo, revision);
        if (commit == null) {
            error(ex, 404, "RevisionNotFound", "Invalid rev id: " + revision);
            return;
        }
        StringBuilder json = new StringBuilder("{\"id\":\"" + id + "\",\"sha\":\"" + commit + "\",\"siblings\":[");
        String sep = "";
        for (String f : repo.commits.get(commit).keySet()) {
            json.append(sep).append("{\"rfilename\":\"").append(f).append("\"}");
            sep = ",";
        }
        byte[] body = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    /** The repo when the request may read it; otherwise answers the error as the hub does and returns null. */
    private Repo access(HttpExchange ex, String id, String authorization) throws IOException {
        Repo repo = repos.get(id);
        if (repo == null) {
            error(ex, 404, "RepoNotFound", "Repository not found");
            return null;
        }
        if (repo.token != null && !("Bearer " + repo.token).equals(authorization)) {
            error(ex, 401, "RepoNotFound", "Invalid username or password.");
            return null;
        }
        if (repo.gated && authorization == null) {
            error(ex, 401, "GatedRepo", "Access to model " + id + " is restricted.");
            return null;
        }
        return repo;
    }

    private static String commitOf(Repo repo, String revision) {
        if (repo.refs.containsKey(revision)) {
            return repo.refs.get(revision);
        }
        return repo.commits.containsKey(revision) ? revision : null;
    }

    /** The body, or the requested range of it, with the injected faults. */
    private void serve(HttpExchange ex, byte[] content, String sha) throws IOException {
        boolean head = ex.getRequestMethod().equals("HEAD");
        if (head) {
            // HttpServer drops Content-Length on HEAD unless set by hand with no body.
            ex.getResponseHeaders().set("Content-Length", Long.toString(content.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        int start = 0;
        int status = 200;
        String range = ex.getRequestHeaders().getFirst("Range");
        if (range != null && !ignoreRange) {
            Matcher m = RANGE.matcher(range);
            if (m.matches()) {
                start = Integer.parseInt(m.group(1));
                if (start >= content.length) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + content.length);
                    empty(ex, 416);
                    return;
                }
                status = 206;
                ex.getResponseHeaders().set("Content-Range",
                        "bytes " + start + "-" + (content.length - 1) + "/" + content.length);
            }
        }
        byte[] body = Arrays.copyOfRange(content, start, content.length);
        if (sha != null && corrupt.contains(sha)) {
            body[body.length / 2] ^= 0x5A;
        }
        ex.sendResponseHeaders(status, body.length);
        OutputStream out = ex.getResponseBody();
        if (sha != null && cutOnce.remove(sha)) {
            // Half the body, then the connection goes away: the client sees a premature end of stream.
            out.write(body, 0, body.length / 2);
            out.flush();
            sleep();
            throw new IOException("cut on purpose"); // HttpServer closes the connection on a handler failure
        }
        out.write(body);
    }

    private static void error(HttpExchange ex, int status, String code, String message) throws IOException {
        ex.getResponseHeaders().set("X-Error-Code", code);
        ex.getResponseHeaders().set("X-Error-Message", message);
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.sendResponseHeaders(status, -1);
            return;
        }
        byte[] body = ("{\"error\":\"" + message + "\"}").getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }

    private static void empty(HttpExchange ex, int status) throws IOException {
        ex.sendResponseHeaders(status, -1);
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    static String hex(String algorithm, byte[] data) {
        try {
            return java.util.HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** The ETag the hub sends for files stored in git: the git blob id. */
    static String gitSha1(byte[] content) {
        byte[] header = ("blob " + content.length + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] all = Arrays.copyOf(header, header.length + content.length);
        System.arraycopy(content, 0, all, header.length, content.length);
        return hex("SHA-1", all);
    }
}
