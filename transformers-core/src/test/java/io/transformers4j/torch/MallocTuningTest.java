package io.transformers4j.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MallocTuningTest {

    @Test
    void propertyValues() {
        assertEquals(131072, MallocTuning.requested(null));
        assertEquals(131072, MallocTuning.requested(" "));
        assertEquals(-1, MallocTuning.requested("dynamic"));
        assertEquals(262144, MallocTuning.requested("262144"));
        assertEquals(0, MallocTuning.requested("0"));
        for (String bad : new String[] {"-1", "1e6", "33554433", "big"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MallocTuning.requested(bad));
            assertTrue(e.getMessage().contains("transformers4j.mallocMmapThreshold") && e.getMessage().contains(bad),
                    e.getMessage());
        }
    }

    @Test
    void pinnedOnLinuxWithGlibc() {
        boolean glibcLinux = System.getProperty("os.name").startsWith("Linux")
                && System.getenv("MALLOC_MMAP_THRESHOLD_") == null
                && System.getProperty(MallocTuning.PROPERTY) == null
                && new java.io.File("/lib/x86_64-linux-gnu/libc.so.6").exists();
        org.junit.jupiter.api.Assumptions.assumeTrue(glibcLinux, "x86-64 Linux with glibc, no override");
        assertEquals(131072, Torch.mallocMmapThreshold(), "mallopt(M_MMAP_THRESHOLD) accepted the default");
    }
}
