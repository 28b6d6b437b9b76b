package io.transformers4j.hub;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where and how hub files are found, with Python's environment variables as defaults:
 * {@code HF_HUB_CACHE}, else {@code HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}; {@code HF_ENDPOINT};
 * {@code HF_TOKEN}; {@code HF_HUB_OFFLINE=1}.
 */
public record HubOptions(Path cacheDir, String endpoint, String revision, String token, boolean localFilesOnly,
        boolean showProgress) {

    public static HubOptions defaults() {
        return fromEnvironment(System.getenv());
    }

    /** The defaults Python's huggingface_hub derives from these environment variables. */
    public static HubOptions fromEnvironment(Map<String, String> env) {
        Path cache;
        if (env.get("HF_HUB_CACHE") != null) {
            cache = Path.of(env.get("HF_HUB_CACHE"));
        } else if (env.get("HF_HOME") != null) {
            cache = Path.of(env.get("HF_HOME"), "hub");
        } else {
            String xdg = env.get("XDG_CACHE_HOME");
            Path base = xdg != null ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
            cache = base.resolve("huggingface").resolve("hub");
        }
        String endpoint = env.getOrDefault("HF_ENDPOINT", "https://huggingface.co");
        while (endpoint.endsWith("/")) {
            endpoint = endpoint.substring(0, endpoint.length() - 1);
        }
        String token = env.get("HF_TOKEN");
        String offline = env.getOrDefault("HF_HUB_OFFLINE", "");
        boolean localOnly = offline.equals("1") || offline.equalsIgnoreCase("true") || offline.equalsIgnoreCase("yes")
                || offline.equalsIgnoreCase("on");
        return new HubOptions(cache, endpoint, "main", token, localOnly, true);
    }

    public HubOptions withCacheDir(Path dir) { return new HubOptions(dir, endpoint, revision, token, localFilesOnly, showProgress); }
    public HubOptions withEndpoint(String e) { return new HubOptions(cacheDir, e, revision, token, localFilesOnly, showProgress); }
    public HubOptions withRevision(String r) { return new HubOptions(cacheDir, endpoint, r, token, localFilesOnly, showProgress); }
    public HubOptions withToken(String t) { return new HubOptions(cacheDir, endpoint, revision, t, localFilesOnly, showProgress); }
    public HubOptions withLocalFilesOnly(boolean b) { return new HubOptions(cacheDir, endpoint, revision, token, b, showProgress); }
    public HubOptions withShowProgress(boolean b) { return new HubOptions(cacheDir, endpoint, revision, token, localFilesOnly, b); }
}
