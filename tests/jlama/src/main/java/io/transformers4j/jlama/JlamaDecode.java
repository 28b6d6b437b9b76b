package io.transformers4j.jlama;

import com.github.tjake.jlama.model.AbstractModel;
import com.github.tjake.jlama.model.ModelSupport;
import com.github.tjake.jlama.safetensors.DType;
import com.github.tjake.jlama.tensor.AbstractTensor;
import com.github.tjake.jlama.tensor.KvBufferCache;
import com.github.tjake.jlama.tensor.operations.TensorOperationsProvider;
import com.github.tjake.jlama.util.PhysicalCoreExecutor;
import java.io.File;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

/**
 * Jlama's half of the decode benchmark (tests/run-llm-benchmark): loads a safetensors folder with
 * {@code ModelSupport.loadModel} and runs the same greedy loop as Jlama's own {@code AbstractModel.generate} (prompt
 * through {@code batchForward}, then one {@code forward} + {@code sample(temperature 0)} per token on a KV buffer),
 * timed around the same points as the transformers4j side: time to the first new token, and new tokens per second
 * after it. Tokens come from a file of ids, so both engines see the same prompt; nothing is tokenized.
 *
 * <pre>
 * java --add-modules jdk.incubator.vector -cp ... io.transformers4j.jlama.JlamaDecode MODEL_DIR PROMPT_IDS_FILE
 *     THREADS NEW_TOKENS REPEATS
 * </pre>
 *
 * Prints {@code JLAMA key=value ...} lines for the caller to parse.
 */
public final class JlamaDecode {

    private JlamaDecode() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: JlamaDecode MODEL_DIR PROMPT_IDS_FILE THREADS NEW_TOKENS REPEATS");
            System.exit(2);
        }
        File modelDir = new File(args[0]);
        int[] prompt = Arrays.stream(Files.readString(Path.of(args[1])).trim().split("[,\\s]+"))
                .mapToInt(Integer::parseInt).toArray();
        int threads = Integer.parseInt(args[2]);
        int newTokens = Integer.parseInt(args[3]);
        int repeats = Integer.parseInt(args[4]);

        // Jlama sizes its pool to availableProcessors / 2 (it assumes hyper-threads); use the same count as ours.
        PhysicalCoreExecutor.overrideThreadCount(threads);
        long rssBefore = status("VmRSS");
        long t0 = System.nanoTime();
        // Jlama's defaults (its CLI's --working-dtype F32 --working-qtype I8): weights stay as stored.
        AbstractModel model = ModelSupport.loadModel(modelDir, DType.F32, DType.I8);
        double loadS = (System.nanoTime() - t0) / 1e9;
        System.out.printf("JLAMA info ops=%s threads=%d model_dtype=%s load_s=%.2f%n",
                TensorOperationsProvider.get().name().replace(' ', '_'), threads, weightType(model), loadS);

        KvBufferCache kvCache = kvBufferCache(model);
        // Warm-up (JIT of the vector kernels and the loop), not timed: one run of the timed length, the same as the
        // transformers4j side does.
        run(model, kvCache, prompt, newTokens);
        for (int r = 0; r < repeats; r++) {
            long[] t = run(model, kvCache, prompt, newTokens);
            double ttft = (t[1] - t[0]) / 1e6;
            double decodeTokS = (newTokens - 1) / ((t[2] - t[1]) / 1e9);
            double cores = (double) t[11] / (t[2] - t[1]);
            System.out.printf("JLAMA run=%d ttft_ms=%.1f decode_tok_s=%.2f decode_cores=%.2f first_tokens=%s%n", r,
                    ttft, decodeTokS, cores, Arrays.toString(Arrays.copyOfRange(t, 3, 11)).replace(" ", ""));
        }
        System.out.printf("JLAMA rss_before_load_kb=%d vmhwm_kb=%d%n", rssBefore, status("VmHWM"));
        System.exit(0); // Jlama's executor threads are not daemons
    }

    /**
     * Jlama's generate() loop, greedy: {start, first token, end} nanoTimes, the first 8 (or fewer) generated ids,
     * and the process CPU nanoseconds spent between the first token and the end.
     */
    private static long[] run(AbstractModel model, KvBufferCache kvCache, int[] prompt, int newTokens) {
        long[] result = new long[3 + 8 + 1];
        try (KvBufferCache.KvBuffer kv = kvCache.getKvBuffer(UUID.randomUUID());
                AbstractTensor logits = model.makeDenseTensor(model.getConfig().vocabularySize)) {
            long start = System.nanoTime();
            AbstractTensor out = model.batchForward(prompt, 0, kv);
            int next = model.sample(out.slice(out.shape().first() - 1), 0f, 0f, logits);
            out.close();
            long first = System.nanoTime();
            long cpuFirst = processCpuNanos();
            int[] generated = new int[newTokens];
            generated[0] = next;
            for (int i = 1; i < newTokens; i++) {
                // the public overload the protected forward(token, pos, kv) delegates to
                AbstractTensor o = model.forward(next, prompt.length + i - 1, kv, Optional.empty());
                next = model.sample(o, 0f, 0f, logits);
                o.close();
                kv.incrementContextPosition();
                generated[i] = next;
            }
            long end = System.nanoTime();
            result[11] = processCpuNanos() - cpuFirst;
            result[0] = start;
            result[1] = first;
            result[2] = end;
            for (int i = 0; i < 8 && i < newTokens; i++) {
                result[3 + i] = generated[i];
            }
        }
        return result;
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** The model's KV buffer cache (Jlama's generate() uses this protected field). */
    private static KvBufferCache kvBufferCache(AbstractModel model) throws ReflectiveOperationException {
        Field f = AbstractModel.class.getDeclaredField("kvBufferCache");
        f.setAccessible(true);
        return (KvBufferCache) f.get(model);
    }

    private static String weightType(AbstractModel model) {
        try {
            Field f = AbstractModel.class.getDeclaredField("modelDType");
            f.setAccessible(true);
            return String.valueOf(f.get(model));
        } catch (ReflectiveOperationException e) {
            return "?";
        }
    }

    /** A kB field of /proc/self/status (VmRSS, VmHWM), or -1 off Linux. */
    static long status(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // not Linux
        }
        return -1;
    }
}
