package io.transformers4j.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * Where and how hub files are found, with Python's environment variables as defaults (huggingface_hub/constants.py):
 * cache {@code HF_HUB_CACHE} (legacy {@code HUGGINGFACE_HUB_CACHE}), else {@code $HF_HOME/hub}, else
 * {@code ${XDG_CACHE_HOME:-~/.cache}/huggingface/hub}; {@code HF_ENDPOINT}; token {@code HF_TOKEN} (legacy
 * {@code HUGGING_FACE_HUB_TOKEN}), else the file {@code HF_TOKEN_PATH}, else {@code $HF_HOME/token} (what
 * {@code huggingface-cli login} writes); offline {@code HF_HUB_OFFLINE=1} or transformers' {@code TRANSFORMERS_OFFLINE=1};
 * no progress bars with {@code HF_HUB_DISABLE_PROGRESS_BARS=1}. The progress bar also needs stderr to be a terminal
 * unless {@code -Dtransformers4j.progress=true}.
 */
public record HubOptions(Path cacheDir, String endpoint, String revision, String token, boolean localFilesOnly,
        boolean showProgress) {

    private static final Set<String> TRUE_VALUES = Set.of("1", "ON", "YES", "TRUE");

    public static HubOptions defaults() {
        return fromEnvironment(System.getenv());
    }

    /** The defaults Python's huggingface_hub derives from these environment variables. */
    public static HubOptions fromEnvironment(Map<String, String> env) {
        Path hfHome = get(env, "HF_HOME") != null ? expandUser(get(env, "HF_HOME"))
                : (get(env, "XDG_CACHE_HOME") != null ? expandUser(get(env, "XDG_CACHE_HOME"))
                        : Path.of(System.getProperty("user.home"), ".cache")).resolve("huggingface");
        Path cache;
        if (get(env, "HF_HUB_CACHE") != null) {
            cache = expandUser(get(env, "HF_HUB_CACHE"));
        } else if (get(env, "HUGGINGFACE_HUB_CACHE") != null) {
            cache = expandUser(get(env, "HUGGINGFACE_HUB_CACHE"));
        } else {
            cache = hfHome.resolve("hub");
        }
        String endpoint = get(env, "HF_ENDPOINT") != null ? get(env, "HF_ENDPOINT") : "https://huggingface.co";
        while (endpoint.endsWith("/")) {
            endpoint = endpoint.substring(0, endpoint.length() - 1);
        }
        String token = get(env, "HF_TOKEN") != null ? get(env, "HF_TOKEN") : get(env, "HUGGING_FACE_HUB_TOKEN");
        if (token == null) {
            Path tokenFile = get(env, "HF_TOKEN_PATH") != null ? expandUser(get(env, "HF_TOKEN_PATH"))
                    : hfHome.resolve("token");
            token = readToken(tokenFile);
        }
        boolean localOnly = isTrue(get(env, "HF_HUB_OFFLINE")) || isTrue(get(env, "TRANSFORMERS_OFFLINE"));
        boolean progress = !isTrue(get(env, "HF_HUB_DISABLE_PROGRESS_BARS"));
        return new HubOptions(cache, endpoint, "main", token == null ? null : token.strip(), localOnly, progress);
    }

    public HubOptions withCacheDir(Path dir) { return new HubOptions(dir, endpoint, revision, token, localFilesOnly, showProgress); }
    public HubOptions withEndpoint(String e) { return new HubOptions(cacheDir, e, revision, token, localFilesOnly, showProgress); }
    public HubOptions withRevision(String r) { return new HubOptions(cacheDir, endpoint, r, token, localFilesOnly, showProgress); }
    public HubOptions withToken(String t) { return new HubOptions(cacheDir, endpoint, revision, t, localFilesOnly, showProgress); }
    public HubOptions withLocalFilesOnly(boolean b) { return new HubOptions(cacheDir, endpoint, revision, token, b, showProgress); }
    public HubOptions withShowProgress(boolean b) { return new HubOptions(cacheDir, endpoint, revision, token, localFilesOnly, b); }

    /** Keeps the token out of logs and exception messages. */
    @Override
    public String toString() {
        return "HubOptions[cacheDir=" + cacheDir + ", endpoint=" + endpoint + ", revision=" + revision + ", token="
                + (token == null ? "null" : "***") + ", localFilesOnly=" + localFilesOnly + ", showProgress="
                + showProgress + "]";
    }

    /** Python's os.getenv, where an empty value counts as unset. */
    private static String get(Map<String, String> env, String name) {
        String v = env.get(name);
        return v == null || v.isEmpty() ? null : v;
    }

    private static boolean isTrue(String value) {
        return value != null && TRUE_VALUES.contains(value.strip().toUpperCase(java.util.Locale.ROOT));
    }

    /** Python's os.path.expanduser for a leading "~". */
    private static Path expandUser(String p) {
        if (p.equals("~") || p.startsWith("~/")) {
            return Path.of(System.getProperty("user.home") + p.substring(1));
        }
        return Path.of(p);
    }

    private static String readToken(Path file) {
        try {
            if (!Files.isRegularFile(file)) {
                return null;
            }
            String t = Files.readString(file, StandardCharsets.UTF_8).strip();
            return t.isEmpty() ? null : t;
        } catch (IOException | SecurityException e) {
            return null; // an unreadable token file counts as no token rather than failing every load
        }
    }
}
