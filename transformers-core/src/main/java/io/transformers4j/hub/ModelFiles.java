package io.transformers4j.hub;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The files of one model: a local folder, or a hub repository resolved through the Hugging Face cache (downloading
 * what is missing unless offline). {@link #file} answers empty when the model has no such file, so callers can try
 * alternatives in Python's order (model.safetensors, then the sharded index, then pytorch_model.bin, ...).
 */
public interface ModelFiles {

    /** The local path of {@code filename} (relative, '/'-separated), fetching it if needed; empty if absent. */
    Optional<Path> file(String filename) throws IOException;

    /** The folder the files live in (a local folder, or the cache snapshot folder). */
    Path folder();

    /** The repo id or folder this came from, for messages. */
    String describe();

    /**
     * Resolves a local folder or a hub repo id ("org/name"). A path that exists is a folder; otherwise the string is a
     * repo id looked up in the hub cache (see {@link HubOptions}).
     */
    static ModelFiles open(String repoIdOrPath, HubOptions options) throws IOException {
        Path p = Path.of(repoIdOrPath);
        if (Files.isDirectory(p)) {
            return local(p);
        }
        try {
            HubClient.validateRepoId(repoIdOrPath);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + repoIdOrPath + "' is neither a local folder nor a hub repo id: "
                    + e.getMessage(), e);
        }
        return HubClient.create(options).repo(repoIdOrPath);
    }

    /** A plain local folder. */
    static ModelFiles local(Path folder) {
        Path dir = folder.toAbsolutePath().normalize();
        return new ModelFiles() {
            @Override
            public Optional<Path> file(String filename) {
                Path f = dir.resolve(filename).normalize();
                if (!f.startsWith(dir)) {
                    throw new IllegalArgumentException("File name '" + filename + "' leaves the model folder " + dir);
                }
                return Files.isRegularFile(f) ? Optional.of(f) : Optional.empty();
            }

            @Override
            public Path folder() {
                return dir;
            }

            @Override
            public String describe() {
                return dir.toString();
            }
        };
    }
}
