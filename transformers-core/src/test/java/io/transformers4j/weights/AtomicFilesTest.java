package io.transformers4j.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files published through a temporary file get the permissions of a plain file creation, as in Python. */
class AtomicFilesTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    /** What {@code open(path, "w")} would get in {@code dir}: 0666 & ~umask (and the folder's default ACLs). */
    static Set<PosixFilePermission> plainFilePermissions(Path dir) throws IOException {
        Path probe = Files.createFile(dir.resolve("probe-file"));
        try {
            return Files.getPosixFilePermissions(probe);
        } finally {
            Files.delete(probe);
        }
    }

    static void assumePosix(Path dir) {
        assumeTrue(Files.getFileAttributeView(dir, PosixFileAttributeView.class) != null, "not a POSIX file system");
    }

    static void assertPermissions(Set<PosixFilePermission> expected, Path file) throws IOException {
        assertEquals(PosixFilePermissions.toString(expected),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(file)), file.toString());
    }

    @Test
    void tempFilesAndFoldersGetThePlainCreationPermissions(@TempDir Path dir) throws IOException {
        assumePosix(dir);
        Set<PosixFilePermission> plain = plainFilePermissions(dir);
        Path tmp = AtomicFiles.createTempFile(dir, ".x", ".tmp");
        assertPermissions(plain, tmp);
        assertTrue(tmp.getFileName().toString().startsWith(".x") && tmp.getFileName().toString().endsWith(".tmp"));
        // Files.createTempFile would have given rw------- whatever the umask: the behaviour this class exists to avoid.
        assertEquals("rw-------",
                PosixFilePermissions.toString(Files.getPosixFilePermissions(Files.createTempFile(dir, "j", ""))));

        Path probeDir = Files.createDirectory(dir.resolve("probe-dir"));
        Path tmpDir = AtomicFiles.createTempDirectory(dir, ".import-");
        assertPermissions(Files.getPosixFilePermissions(probeDir), tmpDir);
    }

    @Test
    void writeStringReplacesAndLeavesNoTemporaryFile(@TempDir Path dir) throws IOException {
        Path target = dir.resolve("a.json");
        AtomicFiles.writeString(target, "{}\n");
        AtomicFiles.writeString(target, "{\"é\": 1}\n");
        assertEquals("{\"é\": 1}\n", Files.readString(target));
        assertEquals(List.of("a.json"), names(dir));

        // A folder in the way: the move fails, and the temporary file is cleaned up.
        Path blocked = Files.createDirectories(dir.resolve("b.json").resolve("child"));
        assertThrows(IOException.class, () -> AtomicFiles.writeString(blocked.getParent(), "x"));
        assertEquals(List.of("a.json", "b.json"), names(dir));
    }

    @Test
    void savedCheckpointShardsIndexAndConfigAreReadableLikePlainFiles(@TempDir Path dir) throws IOException {
        assumePosix(dir);
        Set<PosixFilePermission> plain = plainFilePermissions(dir);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("a.weight", m.ones(new Shape(4, 4)));
            tensors.put("b.weight", m.zeros(new Shape(4, 4)));
            Path sharded = dir.resolve("sharded");
            Checkpoints.save(sharded, tensors, 64); // one 64-byte tensor per shard
            Path single = dir.resolve("single");
            Checkpoints.save(single, tensors, Long.MAX_VALUE);
            SafetensorsWriter.write(single.resolve("extra.safetensors"), tensors, Map.of());
            PretrainedConfig.fromMap(Map.of("model_type", "bert"), PretrainedConfig.class).saveJson(single);

            assertEquals(List.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                    "model.safetensors.index.json"), names(sharded));
            assertEquals(List.of("config.json", "extra.safetensors", "model.safetensors"), names(single));
            for (Path folder : List.of(sharded, single)) {
                for (String name : names(folder)) {
                    assertPermissions(plain, folder.resolve(name));
                }
            }
        }
        // With the usual umask (022, 002) that means others can read the checkpoint, as with Python's save_pretrained.
        assumeTrue(plain.contains(PosixFilePermission.OTHERS_READ), "umask hides files from others");
        assertTrue(Files.getPosixFilePermissions(dir.resolve("single/model.safetensors"))
                .containsAll(Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ)));
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
