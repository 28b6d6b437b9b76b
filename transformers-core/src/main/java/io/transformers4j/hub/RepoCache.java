package io.transformers4j.hub;

import io.transformers4j.weights.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One repo's folder in the hub cache, laid out exactly as huggingface_hub writes it so that Python and Java share
 * downloads:
 *
 * <pre>
 * models--org--name/
 *   blobs/&lt;etag&gt;                      file content, named by git sha1 (small files) or sha256 (LFS)
 *   refs/&lt;revision&gt;                   the commit a branch or tag pointed to when last asked (no newline)
 *   snapshots/&lt;commit&gt;/&lt;filename&gt;     relative symlink to ../../blobs/&lt;etag&gt; (one more ../ per folder level)
 *   .no_exist/&lt;commit&gt;/&lt;filename&gt;     empty: the hub said this file does not exist at that commit
 * </pre>
 *
 * Lock files live beside, in {@code <cache>/.locks/models--org--name/<etag>.lock}, as in Python.
 */
final class RepoCache {
    /** Etags and commit hashes become file names: hex in practice; never anything that could climb out. */
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._\\-]{0,199}");

    private final Path root;
    private final Path locks;

    RepoCache(Path cacheDir, String repoId) {
        Path cache = cacheDir.toAbsolutePath().normalize();
        String folder = HubClient.repoFolderName(repoId);
        this.root = cache.resolve(folder);
        this.locks = cache.resolve(".locks").resolve(folder);
    }

    Path root() {
        return root;
    }

    Path snapshotDir(String commit) {
        return root.resolve("snapshots").resolve(checkSafeName(commit, "commit hash"));
    }

    Path pointerPath(String commit, String filename) {
        return inside(snapshotDir(commit), filename, "file name");
    }

    Path noExistPath(String commit, String filename) {
        return inside(root.resolve(".no_exist").resolve(checkSafeName(commit, "commit hash")), filename, "file name");
    }

    Path blobPath(String etag) {
        return root.resolve("blobs").resolve(checkSafeName(etag, "ETag"));
    }

    Path lockPath(String etag) {
        return locks.resolve(checkSafeName(etag, "ETag") + ".lock");
    }

    /**
     * The commit {@code revision} names in the cache: the content of {@code refs/<revision>}, else {@code revision}
     * itself when a snapshot folder of that name exists (a commit hash).
     */
    Optional<String> resolveRevision(String revision) throws IOException {
        Path ref = inside(root.resolve("refs"), revision, "revision");
        if (Files.isRegularFile(ref)) {
            // Python writes no newline, but a hand-edited ref may have one.
            String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
            if (!SAFE_NAME.matcher(commit).matches()) {
                throw new IOException("Cache ref " + ref + " holds '" + commit + "', which is not a commit hash");
            }
            return Optional.of(commit);
        }
        if (SAFE_NAME.matcher(revision).matches() && Files.isDirectory(root.resolve("snapshots").resolve(revision))) {
            return Optional.of(revision);
        }
        return Optional.empty();
    }

    /** Python's {@code _cache_commit_hash_for_specific_revision}: branches and tags remember their commit. */
    void writeRef(String revision, String commit) throws IOException {
        checkSafeName(commit, "commit hash");
        if (revision.equals(commit)) {
            return;
        }
        Path ref = inside(root.resolve("refs"), revision, "revision");
        if (Files.isRegularFile(ref) && Files.readString(ref, StandardCharsets.UTF_8).strip().equals(commit)) {
            return;
        }
        Files.createDirectories(ref.getParent());
        Path tmp = AtomicFiles.createTempFile(ref.getParent(), ".ref", ".tmp");
        try {
            Files.writeString(tmp, commit, StandardCharsets.UTF_8);
            moveReplacing(tmp, ref);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Records that the hub answered "no such file" for {@code filename} at {@code commit}. */
    void markMissing(String commit, String filename) throws IOException {
        Path marker = noExistPath(commit, filename);
        Files.createDirectories(marker.getParent());
        if (!Files.exists(marker)) {
            try {
                Files.createFile(marker);
            } catch (FileAlreadyExistsException raced) {
                // Another process wrote the same marker.
            }
        }
    }

    /**
     * Points {@code pointer} at {@code blob} through a relative symlink, as Python's {@code _create_symlink} does, so
     * the cache folder can be moved or mounted elsewhere. Where symlinks are not allowed (Windows without developer
     * mode) the blob is copied, which is Python's fallback too.
     */
    void link(Path blob, Path pointer) throws IOException {
        Files.createDirectories(pointer.getParent());
        Path target = pointer.getParent().relativize(blob);
        // Made under a temporary name and renamed over the pointer: a rename replaces atomically, so a thread that
        // already returned this pointer never sees it missing while another thread re-links it.
        Path tmp = pointer.resolveSibling("." + pointer.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
        try {
            try {
                Files.createSymbolicLink(tmp, target);
            } catch (UnsupportedOperationException | FileSystemException noSymlinks) {
                Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            moveReplacing(tmp, pointer);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void moveReplacing(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static boolean isSafeName(String name) {
        return name != null && SAFE_NAME.matcher(name).matches();
    }

    private static String checkSafeName(String name, String what) {
        if (!isSafeName(name)) {
            throw new IllegalArgumentException("Refusing " + what + " '" + name
                    + "': only letters, digits, '.', '_' and '-' are allowed where it becomes a cache file name");
        }
        return name;
    }

    /** {@code dir/relative}, refusing anything that would land outside {@code dir}. */
    private static Path inside(Path dir, String relative, String what) {
        HubClient.checkRelativePath(relative, what);
        Path p = dir.resolve(relative).normalize();
        if (!p.startsWith(dir) || p.equals(dir)) {
            throw new IllegalArgumentException("Refusing " + what + " '" + relative + "': it leaves the cache folder " + dir);
        }
        return p;
    }
}
