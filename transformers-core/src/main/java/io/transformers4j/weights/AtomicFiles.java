package io.transformers4j.weights;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;

/**
 * Temporary files for writers that publish a file by renaming it into place (config.json, weights, shard index,
 * generation_config.json, cache refs), so that a failed write never leaves a partial file under the final name.
 *
 * <p>{@link Files#createTempFile} makes its files owner-only (0600, 0700 for folders): right for secrets, wrong for a
 * checkpoint folder or a cache that others read. Python's {@code open(path, "w")} gets {@code 0666 & ~umask} (usually
 * 0644). The files here are created like any plain file (no explicit permissions), so the operating system applies
 * the process umask and the folder's default ACLs itself; on file systems without POSIX modes nothing is set.
 */
public final class AtomicFiles {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_TRIES = 100;

    private AtomicFiles() {}

    /**
     * Creates a new empty file {@code dir/prefix<random>suffix} with the permissions a plain file creation gets
     * ({@code 0666 & ~umask} on POSIX), for writing and then {@link #moveIntoPlace moving into place}.
     */
    public static Path createTempFile(Path dir, String prefix, String suffix) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Path candidate = dir.resolve(prefix + Long.toUnsignedString(RANDOM.nextLong(), 36) + suffix);
            try {
                // CREATE_NEW (O_EXCL): never opens an existing file or follows a planted symlink.
                return Files.createFile(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= MAX_TRIES) {
                    throw e;
                }
            }
        }
    }

    /** A new empty folder {@code dir/prefix<random>} with the permissions a plain mkdir gets ({@code 0777 & ~umask}). */
    public static Path createTempDirectory(Path dir, String prefix) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Path candidate = dir.resolve(prefix + Long.toUnsignedString(RANDOM.nextLong(), 36));
            try {
                return Files.createDirectory(candidate);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= MAX_TRIES) {
                    throw e;
                }
            }
        }
    }

    /** Renames {@code tmp} over {@code target} in one step (readers see the old file or the new one, never half). */
    public static void moveIntoPlace(Path tmp, Path target) throws IOException {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * Writes {@code text} as UTF-8 to {@code target}: into a temporary file next to it, then moved into place; the
     * temporary file is removed if anything fails. The parent folder must exist.
     */
    public static void writeString(Path target, String text) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = createTempFile(dir, "." + target.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            moveIntoPlace(tmp, target);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
