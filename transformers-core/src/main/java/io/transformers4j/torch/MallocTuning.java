package io.transformers4j.torch;

import com.sun.jna.Function;
import com.sun.jna.NativeLibrary;

/**
 * Pins glibc's mmap threshold (malloc allocations of at least this size get their own mapping, returned to the system
 * when freed) at glibc's own starting value, 128 KiB, unless told otherwise.
 *
 * <p>Why: glibc raises the threshold each time such a mapping is freed (up to 32 MiB), and from then on serves
 * allocations of that size from its arenas, which it keeps. LibTorch's tensors are malloc'd, so after the first large
 * temporary of a prefill (or a logits row of 128 KB) is freed, later ones stay in the process: in the 156M decode
 * benchmark, (peak RSS - base) / checkpoint was 1.21-1.22x for bfloat16 and 1.08-1.10x for float32 with glibc's
 * moving threshold, 1.10-1.12x and 1.00x with it pinned, at the same decode speed (docs/performance.md). Python
 * processes have the same behaviour; glibc's {@code MALLOC_MMAP_THRESHOLD_} environment variable is the usual fix,
 * which an application cannot set for itself once running, hence this {@code mallopt} call.
 *
 * <p>It is process-wide, so it can be turned off: {@code -Dtransformers4j.mallocMmapThreshold=dynamic} leaves glibc's
 * behaviour alone, a number of bytes pins another value. A {@code MALLOC_MMAP_THRESHOLD_} set in the environment wins
 * (glibc applied it at start-up). Elsewhere than Linux with glibc nothing is done.
 */
final class MallocTuning {
    private MallocTuning() {}

    static final String PROPERTY = "transformers4j.mallocMmapThreshold";
    /** glibc's M_MMAP_THRESHOLD parameter of mallopt. */
    private static final int M_MMAP_THRESHOLD = -3;
    /** glibc's initial (and documented default) mmap threshold. */
    static final int DEFAULT_BYTES = 128 * 1024;

    /** The threshold pinned in this process, in bytes, or -1 where glibc's own rule applies. Set once. */
    static final int APPLIED = apply();

    /** Does nothing: calling it initialises this class, which applies the setting once per process. */
    static void ensureApplied() {}

    /**
     * The threshold asked for by the property value {@code value} (null: the default), or -1 for "dynamic".
     *
     * @throws IllegalArgumentException naming the property when the value is neither "dynamic" nor a number of bytes
     *     in [0, 32 MiB] (glibc's limit on 64-bit systems)
     */
    static int requested(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_BYTES;
        }
        if (value.trim().equalsIgnoreCase("dynamic")) {
            return -1;
        }
        try {
            int bytes = Integer.parseInt(value.trim());
            if (bytes >= 0 && bytes <= 32 * 1024 * 1024) {
                return bytes;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("-D" + PROPERTY + " must be \"dynamic\" or a number of bytes from 0 to "
                + "33554432, got '" + value + "'");
    }

    private static int apply() {
        int bytes = requested(System.getProperty(PROPERTY));
        if (bytes < 0 || System.getenv("MALLOC_MMAP_THRESHOLD_") != null
                || !System.getProperty("os.name", "").startsWith("Linux")) {
            return -1;
        }
        try {
            Function mallopt = NativeLibrary.getInstance("c").getFunction("mallopt");
            return mallopt.invokeInt(new Object[] {M_MMAP_THRESHOLD, bytes}) == 1 ? bytes : -1;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return -1; // not glibc (musl has no mallopt): nothing to pin
        }
    }
}
