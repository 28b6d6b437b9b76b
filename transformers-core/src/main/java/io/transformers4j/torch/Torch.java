package io.transformers4j.torch;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Per-thread set-up of the LibTorch engine. LibTorch keeps grad mode and the intra-op (OpenMP) thread count per
 * thread, and DJL only configures the thread that started the engine: every entry point that runs a model calls
 * {@link #ensureThreadReady()} first, so a model used from a worker pool behaves like one used from main.
 */
public final class Torch {

    private static volatile int numThreads = defaultThreads();
    private static final ThreadLocal<Integer> READY = new ThreadLocal<>();

    private Torch() {}

    private static int defaultThreads() {
        String env = System.getenv("OMP_NUM_THREADS");
        if (env != null && env.matches("\\d+") && Integer.parseInt(env) > 0) {
            return Integer.parseInt(env);
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /**
     * Loads the engine (once) and turns grad mode off / sets the thread count on the calling thread (once per
     * thread, again after {@link #setNumThreads}). It does not load the LibTorch bridge: that happens, with its
     * self-test, the first time a {@link TorchOps} method runs, so plain DJL code never pays for it.
     */
    public static void ensureThreadReady() {
        Integer done = READY.get();
        if (done != null && done == numThreads) {
            return;
        }
        if (System.getProperty("ai.djl.offline") == null) {
            // The native LibTorch jar is on the classpath; never let DJL try to download one.
            System.setProperty("ai.djl.offline", "true");
        }
        Engine.getEngine("PyTorch");
        MallocTuning.ensureApplied(); // once per process, before the first tensor
        JniUtils.setGradMode(false);
        JniUtils.setNumThreads(numThreads);
        READY.set(numThreads);
    }

    /** The intra-op thread count applied to each thread that runs a model (default: OMP_NUM_THREADS or all cores). */
    public static void setNumThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("numThreads must be >= 1, got " + n);
        }
        numThreads = n;
    }

    public static int numThreads() {
        return numThreads;
    }

    /**
     * Loads the LibTorch bridge and runs its self-test now rather than at the first {@link TorchOps} call, e.g. to
     * fail fast at start-up.
     *
     * @return the loaded LibTorch, for logs
     * @throws LibTorchException naming the missing symbol or failing operator and the LibTorch versions involved
     */
    public static String ensureBridgeReady() {
        return LibTorchBridge.get().describe();
    }

    /**
     * glibc's mmap threshold as this library pinned it for the process (bytes), or -1 where glibc's own moving
     * threshold applies ({@code -Dtransformers4j.mallocMmapThreshold=dynamic}, a {@code MALLOC_MMAP_THRESHOLD_} in the
     * environment, not Linux/glibc). Pinned at glibc's default, 128 KiB, it keeps freed tensors' memory from staying
     * in the process: see docs/performance.md.
     */
    public static int mallocMmapThreshold() {
        ensureThreadReady();
        return MallocTuning.APPLIED;
    }

    /** LibTorch's version as DJL reports it. */
    public static String libtorchVersion() {
        ensureThreadReady();
        return Engine.getEngine("PyTorch").getVersion();
    }
}
