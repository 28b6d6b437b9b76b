package io.transformers4j.cli;

import io.transformers4j.hub.HubClient;
import io.transformers4j.hub.HubOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code transformers download REPO_ID [--revision R] [--include PATTERN]...}: fills the shared hub cache. */
final class DownloadCommand {
    private DownloadCommand() {}

    static final String USAGE = "transformers download REPO_ID [--revision R] [--include GLOB[,GLOB...]] [--cache-dir DIR]";

    static int run(String[] argv, PrintStream out) throws IOException {
        Args a = Args.parse(argv, 1, Set.of("revision", "include", "cache-dir"), Set.of());
        if (a.positionals.size() != 1) {
            throw new Args.UsageException("download takes one repo id, e.g. sentence-transformers/all-MiniLM-L6-v2");
        }
        HubOptions hub = HubOptions.defaults().withRevision(a.get("revision", "main"));
        if (a.options.containsKey("cache-dir")) {
            hub = hub.withCacheDir(Path.of(a.get("cache-dir", null)));
        }
        List<String> patterns = a.options.containsKey("include") ? List.of(a.get("include", "").split(",")) : null;
        Path snapshot = HubClient.create(hub).snapshotDownload(a.positionals.get(0), patterns);
        // The folder on stdout, alone, so scripts can use it: MODEL=$(transformers download org/name)
        out.println(snapshot);
        return 0;
    }
}
