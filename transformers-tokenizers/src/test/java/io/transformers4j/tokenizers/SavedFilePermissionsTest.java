package io.transformers4j.tokenizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** savePretrained's files get a plain new file's permissions (0666 & ~umask), as Python's writes and copyfile do. */
class SavedFilePermissionsTest {

    @Test
    void savedTokenizerFilesHaveThePlainCreationPermissions(@TempDir Path tmp) throws IOException {
        assumeTrue(Files.getFileAttributeView(tmp, PosixFileAttributeView.class) != null, "not a POSIX file system");
        Path probe = Files.createFile(tmp.resolve("probe"));
        Set<PosixFilePermission> plain = Files.getPosixFilePermissions(probe);

        try (PreTrainedTokenizer slow = AutoTokenizer.fromPretrained(
                TokenizerTestFiles.bert(tmp.resolve("b"), "").toString())) {
            slow.savePretrained(tmp.resolve("slow"));
        }
        // The fast tokenizer copies its tokenizer.json: the copy must not inherit an owner-only source mode.
        Files.delete(tmp.resolve("slow").resolve("vocab.txt"));
        Files.setPosixFilePermissions(tmp.resolve("slow").resolve("tokenizer.json"),
                PosixFilePermissions.fromString("rw-------"));
        try (PreTrainedTokenizer fast = AutoTokenizer.fromPretrained(tmp.resolve("slow").toString())) {
            assertTrue(fast instanceof PreTrainedTokenizerFast, fast.getClass().getName());
            fast.savePretrained(tmp.resolve("fast"));
        }
        List<Path> files = list(tmp.resolve("fast"));
        assertTrue(files.contains(tmp.resolve("fast").resolve("tokenizer.json")), files.toString());
        files.addAll(list(tmp.resolve("slow")));
        files.remove(tmp.resolve("slow").resolve("tokenizer.json")); // the one this test made owner-only
        for (Path f : files) {
            assertEquals(PosixFilePermissions.toString(plain),
                    PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
        }
    }

    private static List<Path> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.collect(Collectors.toList());
        }
    }
}
