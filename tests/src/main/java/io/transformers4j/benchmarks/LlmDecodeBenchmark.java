package io.transformers4j.benchmarks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.generation.BaseStreamer;
import io.transformers4j.generation.GenerateArgs;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.CausalLMOutputWithPast;
import io.transformers4j.models.mistral.MistralConfig;
import io.transformers4j.models.mistral.MistralForCausalLM;
import io.transformers4j.torch.FusedDecoderLayer;
import io.transformers4j.torch.Torch;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Batch-1 decoding of a Mistral-shaped decoder (hidden 1024, 8 layers, 16 heads over 4 key/value heads, SwiGLU 2816,
 * vocab 32000, untied head: 155.7M parameters) in float32 and bfloat16, against the memory-bandwidth bound and
 * Jlama, in one run. {@code tests/run-llm-benchmark} runs it (and builds Jlama's side); it prints one table.
 *
 * <p>Per dtype, in a fresh JVM (so VmHWM is this dtype's alone):
 * <ul>
 *   <li>{@code generate()} of 256 new tokens (greedy, {@code cache_implementation="static"}, no EOS) after a
 *       512-token prompt: time to first token (TTFT: prompt forward + first token) and decode tokens/s over the other
 *       255 tokens, from a streamer's timestamps (after a short warm-up generate);
 *   <li>the same decode as a bare loop (forward + argmax on a StaticCache, no generate() bookkeeping);
 *   <li>peak RSS (VmHWM) against the checkpoint's size, and the parameters' dtypes (a bfloat16 checkpoint loaded
 *       with dtype "auto" must hold no float32 copy).
 * </ul>
 * The JMH class {@link LlmDecodeStepBenchmark} times one decode step at a fixed cache position (steady state).
 *
 * <p>The bound: each new token reads every weight once except the embedding table (one row), so at best
 * tokens/s = bandwidth / (bytes read per token), the bandwidth being measured here by a streaming copy of a 1 GiB
 * buffer (LibTorch's copy with the same threads, best of 5; GB/s counts bytes read plus bytes written, STREAM's
 * convention). A read-only pass (sum of the buffer) is printed too: on many machines reading alone is faster than
 * copying, so the copy bound can be beaten.
 *
 * <p>The checkpoint is a {@code MistralForCausalLM} with Mistral-7B-v0.1's 4096-token sliding window (which masks
 * nothing at 768 tokens). In transformers 4.39 only Llama's forward takes a StaticCache; ours takes it for Mistral too
 * (Mistral's gained one upstream later), and its one-token steps run as fused layers as Llama's do. Checkpoints of
 * version 1 were the same shape saved as a Llama; they are rebuilt.
 *
 * <p>Checkpoints are built once (seeded) and cached under {@code tests/target/bench-checkpoints/}; with them a
 * tokenizer.json (byte-fallback BPE over the 32000 ids) that Jlama's loader requires, and the prompt ids both engines
 * run. Nothing is tokenized during the measurement.
 */
public final class LlmDecodeBenchmark {

    static final Map<String, Object> SHAPE = shape();
    /**
     * Checkpoint shapes by name: "150m" is the decode benchmark's; "1.1b" is TinyLlama-1.1B's (hidden 2048, 22 layers,
     * 32 heads over 4 key/value heads, SwiGLU 5632), for the peak-memory check at a size where a JVM's and LibTorch's
     * fixed ~200 MB weigh less ({@code --memory-only --shape 1.1b}).
     */
    static final Map<String, Map<String, Object>> SHAPES = Map.of("150m", SHAPE, "1.1b", tinyLlamaShape());
    static final int PROMPT_TOKENS = 512;
    static final int NEW_TOKENS = 256;
    static final String CHECKPOINT_VERSION = "2";
    private static final ObjectMapper JSON = new ObjectMapper();

    private LlmDecodeBenchmark() {}

    private static Map<String, Object> shape() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hidden_size", 1024);
        m.put("intermediate_size", 2816);
        m.put("num_hidden_layers", 8);
        m.put("num_attention_heads", 16);
        m.put("num_key_value_heads", 4);
        m.put("vocab_size", 32000);
        m.put("max_position_embeddings", 4096); // Jlama sizes its context by it; 768 tokens are used
        m.put("sliding_window", 4096);
        m.put("rms_norm_eps", 1e-5);
        m.put("rope_theta", 10000.0);
        m.put("tie_word_embeddings", false);
        m.put("torch_dtype", "float32");
        return m;
    }

    private static Map<String, Object> tinyLlamaShape() {
        Map<String, Object> m = new LinkedHashMap<>(shape());
        m.put("hidden_size", 2048);
        m.put("intermediate_size", 5632);
        m.put("num_hidden_layers", 22);
        m.put("num_attention_heads", 32);
        m.put("num_key_value_heads", 4);
        return m;
    }

    // ================================================================== options

    record Options(Path dir, int threads, List<Integer> threadCounts, int promptTokens, int newTokens, int rounds,
            List<String> dtypes, String jlamaJava, String jlamaClasspath, boolean jmh, String child, boolean bare,
            List<String> jvmArgs, String shape, boolean memoryOnly) {

        static Options parse(String[] args) {
            Map<String, String> m = new TreeMap<>();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (!a.startsWith("--")) {
                    throw new IllegalArgumentException("unexpected argument " + a + "; " + USAGE);
                }
                if (a.equals("--jmh") || a.equals("--bare") || a.equals("--memory-only")) {
                    m.put(a.substring(2), "true");
                } else if (i + 1 < args.length) {
                    m.put(a.substring(2), args[++i]);
                } else {
                    throw new IllegalArgumentException(a + " needs a value; " + USAGE);
                }
            }
            int cores = Runtime.getRuntime().availableProcessors();
            List<Integer> threadCounts = Arrays.stream(m.getOrDefault("threads", cores > 1 ? "1," + cores : "1")
                    .split(",")).map(Integer::valueOf).toList();
            Options o = new Options(Path.of(m.getOrDefault("dir", "tests/target/bench-checkpoints")),
                    threadCounts.get(0), threadCounts,
                    Integer.parseInt(m.getOrDefault("prompt-tokens", String.valueOf(PROMPT_TOKENS))),
                    Integer.parseInt(m.getOrDefault("new-tokens", String.valueOf(NEW_TOKENS))),
                    Integer.parseInt(m.getOrDefault("rounds", "2")),
                    List.of(m.getOrDefault("dtypes", "f32,bf16").split(",")),
                    m.get("jlama-java"), m.get("jlama-classpath"), m.containsKey("jmh"), m.get("child"),
                    m.containsKey("bare"), List.of(m.getOrDefault("jvm-args", "-Xmx1g").trim().split("\\s+")),
                    m.getOrDefault("shape", "150m"), m.containsKey("memory-only"));
            if (!SHAPES.containsKey(o.shape)) {
                throw new IllegalArgumentException("--shape takes one of " + new TreeMap<>(SHAPES).keySet() + ", got "
                        + o.shape);
            }
            for (String d : o.dtypes) {
                if (!d.equals("f32") && !d.equals("bf16")) {
                    throw new IllegalArgumentException("--dtypes takes f32 and/or bf16, got " + d);
                }
            }
            if (o.threadCounts.stream().anyMatch(t -> t < 1) || o.promptTokens < 1 || o.newTokens < 2
                    || o.rounds < 1) {
                throw new IllegalArgumentException("--threads, --prompt-tokens, --rounds must be >= 1 and "
                        + "--new-tokens >= 2");
            }
            return o;
        }

        Options withThreads(int t) {
            return new Options(dir, t, List.of(t), promptTokens, newTokens, rounds, dtypes, jlamaJava, jlamaClasspath,
                    jmh, child, bare, jvmArgs, shape, memoryOnly);
        }

        List<String> childArgs(String dtype, boolean withBareLoop) {
            List<String> a = new ArrayList<>(List.of("--child", dtype, "--dir", dir.toString(), "--threads",
                    String.valueOf(threads), "--prompt-tokens", String.valueOf(promptTokens), "--new-tokens",
                    String.valueOf(newTokens), "--shape", shape));
            if (withBareLoop) {
                a.add("--bare");
            }
            return a;
        }
    }

    static final String USAGE = "usage: LlmDecodeBenchmark [--threads 1,2] [--dtypes f32,bf16] [--rounds R] "
            + "[--prompt-tokens 512] [--new-tokens 256] [--dir DIR] [--jlama-java JAVA --jlama-classpath CP] [--jmh] "
            + "[--jvm-args \"-Xmx1g -Xmn16m\"] (JVM options of our child processes; default -Xmx1g) "
            + "[--memory-only [--shape 150m|1.1b]] (peak memory only: one run of ours per dtype, no Jlama, no bound)";

    // ================================================================== main: the whole comparison

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        if (o.child != null) {
            child(o);
            return;
        }
        Torch.ensureThreadReady();
        System.out.println("== LLM decode benchmark: " + describeMachine(o.threadCounts));
        Map<String, Path> ckpt = new LinkedHashMap<>();
        for (String d : o.dtypes) {
            ckpt.put(d, checkpoint(o.dir, o.shape, d));
        }
        if (o.memoryOnly) {
            memoryOnly(o, ckpt);
            return;
        }
        if (!o.shape.equals("150m")) {
            throw new IllegalArgumentException("--shape " + o.shape + " is for --memory-only (decode at that size "
                    + "would take hours here)");
        }
        Path promptFile = promptIds(o.dir, o.promptTokens);
        List<String> tables = new ArrayList<>();
        for (int t : o.threadCounts) {
            tables.add(runAtThreads(o.withThreads(t), ckpt, promptFile,
                    o.jmh && t == o.threadCounts.get(o.threadCounts.size() - 1)));
        }
        System.out.println();
        tables.forEach(System.out::println);
    }

    /** Everything at one thread count (both engines, every dtype, the bandwidth): the table, as text. */
    static String runAtThreads(Options o, Map<String, Path> ckpt, Path promptFile, boolean jmh) throws Exception {
        String loadBefore = loadAverage();
        Torch.setNumThreads(o.threads);
        Torch.ensureThreadReady();
        Bandwidth bw = measureBandwidth();
        System.out.printf(Locale.ROOT, "== %d threads: bandwidth copy %.1f GB/s (read+write, best of 5, 1 GiB), "
                + "read-only %.1f GB/s%n", o.threads, bw.copyGBs, bw.readGBs);
        // Rounds of (ours, Jlama) per dtype, each in a fresh JVM: on a shared machine the load changes from minute to
        // minute, so the two engines are compared round by round and the medians reported.
        Map<String, List<Map<String, String>>> ours = new LinkedHashMap<>();
        Map<String, List<Map<String, String>>> jlama = new LinkedHashMap<>();
        for (int r = 0; r < o.rounds; r++) {
            for (String d : o.dtypes) {
                System.out.println("== " + o.threads + " threads, round " + (r + 1) + "/" + o.rounds + ", " + d
                        + " (load " + loadAverage() + ")");
                ours.computeIfAbsent(d, k -> new ArrayList<>()).add(runChild(o, d, r == 0));
                if (o.jlamaJava != null) {
                    jlama.computeIfAbsent(d, k -> new ArrayList<>()).add(runJlama(o, ckpt.get(d), promptFile));
                }
            }
        }
        Map<String, Double> jmhStep = jmh ? runJmh(o) : Map.of();
        String jlamaNote = o.jlamaJava == null ? "not run: no --jlama-java/--jlama-classpath (tests/run-llm-benchmark "
                + "passes them)" : null;
        String loadAfter = loadAverage();
        java.io.StringWriter text = new java.io.StringWriter();
        printTable(new java.io.PrintWriter(text, true), o, ckpt, bw, ours, jlama, jmhStep, jlamaNote, loadBefore,
                loadAfter);
        System.out.println(text);
        return text.toString();
    }

    // ================================================================== checkpoints

    /** The decode benchmark's checkpoint folder of {@code dtype} ("f32", "bf16"), built on first use. */
    static Path checkpoint(Path root, String dtype) throws IOException {
        return checkpoint(root, "150m", dtype);
    }

    /** The checkpoint folder of {@code shape} (a key of {@link #SHAPES}) and {@code dtype}, built on first use. */
    static Path checkpoint(Path root, String shape, String dtype) throws IOException {
        Path f32 = root.resolve("mistral-shape-" + shape + "-f32");
        Path dir = dtype.equals("f32") ? f32 : root.resolve("mistral-shape-" + shape + "-bf16");
        Path marker = dir.resolve("BENCH-CHECKPOINT");
        if (Files.exists(marker) && Files.readString(marker).trim().equals(CHECKPOINT_VERSION)) {
            return dir;
        }
        if (!dtype.equals("f32")) {
            checkpoint(root, shape, "f32");
        }
        System.out.println("building " + dir + " (once) ...");
        Files.createDirectories(dir);
        if (dtype.equals("f32")) {
            MistralConfig config = PretrainedConfig.fromMap(SHAPES.get(shape), MistralConfig.class);
            try (MistralForCausalLM model = PreTrainedModel.fromConfig(MistralForCausalLM.CLASS, config, 20240611,
                    Device.cpu())) {
                model.savePretrained(dir);
            }
        } else {
            // The same weights rounded to bfloat16, saved with torch_dtype bfloat16.
            try (MistralForCausalLM model = MistralForCausalLM.fromPretrained(f32.toString(),
                    LoadOptions.defaults().withDtype("bfloat16").withLocalFilesOnly(true))) {
                model.savePretrained(dir);
            }
        }
        Files.writeString(dir.resolve("tokenizer.json"), tokenizerJson((Integer) SHAPE.get("vocab_size")));
        Files.writeString(marker, CHECKPOINT_VERSION + "\n");
        return dir;
    }

    /**
     * A byte-fallback BPE tokenizer.json over {@code vocab} ids (Llama's special tokens, the 256 byte tokens, then
     * placeholders): Jlama's loader insists on one. No merges: nothing is tokenized in the benchmark.
     */
    static String tokenizerJson(int vocab) throws IOException {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] special = {"<unk>", "<s>", "</s>"};
        for (int i = 0; i < special.length; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i);
            t.put("content", special[i]);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        root.putNull("decoder");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", "<unk>");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true);
        model.put("byte_fallback", true);
        ObjectNode v = model.putObject("vocab");
        for (int i = 0; i < special.length; i++) {
            v.put(special[i], i);
        }
        for (int b = 0; b < 256; b++) {
            v.put(String.format(Locale.ROOT, "<0x%02X>", b), special.length + b);
        }
        for (int i = special.length + 256; i < vocab; i++) {
            v.put("\u2581t" + i, i);
        }
        model.putArray("merges");
        return JSON.writeValueAsString(root);
    }

    /** {@code n} prompt ids, seeded, avoiding the special ids 0-2; shared by both engines through a file. */
    static Path promptIds(Path root, int n) throws IOException {
        Random r = new Random(20240611);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 3 + r.nextInt((Integer) SHAPE.get("vocab_size") - 3);
        }
        Path f = root.resolve("prompt-" + n + ".txt");
        Files.writeString(f, Arrays.stream(ids).mapToObj(Long::toString).collect(Collectors.joining(",")) + "\n");
        return f;
    }

    static long[] readIds(Path f) throws IOException {
        return Arrays.stream(Files.readString(f).trim().split(",")).mapToLong(Long::parseLong).toArray();
    }

    /**
     * Bytes a decode step reads from the weights: every tensor of the safetensors file except the embedding table,
     * of which one row is read.
     */
    static long bytesPerToken(Path dir) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(dir.resolve("model.safetensors").toFile(), "r")) {
            byte[] len = new byte[8];
            f.readFully(len);
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] header = new byte[Math.toIntExact(n)];
            f.readFully(header);
            JsonNode h = JSON.readTree(header);
            long total = 0;
            long rowBytes = 0;
            for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) h::fields) {
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonNode off = e.getValue().get("data_offsets");
                long bytes = off.get(1).asLong() - off.get(0).asLong();
                if (e.getKey().endsWith("embed_tokens.weight")) {
                    rowBytes = bytes / e.getValue().get("shape").get(0).asLong();
                } else {
                    total += bytes;
                }
            }
            return total + rowBytes;
        }
    }

    // ================================================================== bandwidth

    record Bandwidth(double copyGBs, double readGBs) {}

    /** LibTorch copy and sum of a 1 GiB float32 buffer with the configured threads; best of 5 each. */
    static Bandwidth measureBandwidth() {
        long n = (1L << 30) / 4;
        double copy = 0;
        double read = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray src = m.ones(new Shape(n));
            NDArray dst = m.zeros(new Shape(n)); // both touched: no page faults in the timed copies
            NDIndex all = new NDIndex(":");
            for (int r = 0; r < 6; r++) {
                long t = System.nanoTime();
                dst.set(all, src);
                double s = (System.nanoTime() - t) / 1e9;
                if (r > 0) {
                    copy = Math.max(copy, 2.0 * n * 4 / s / 1e9);
                }
            }
            for (int r = 0; r < 6; r++) {
                long t = System.nanoTime();
                try (NDArray sum = src.sum()) {
                    sum.getFloat();
                }
                double s = (System.nanoTime() - t) / 1e9;
                if (r > 0) {
                    read = Math.max(read, (double) n * 4 / s / 1e9);
                }
            }
        }
        return new Bandwidth(copy, read);
    }

    // ================================================================== child: one dtype in a fresh JVM

    static void child(Options o) throws Exception {
        Torch.setNumThreads(o.threads);
        Torch.ensureThreadReady();
        Torch.ensureBridgeReady();
        Path dir = checkpoint(o.dir, o.shape, o.child);
        long[] prompt = readIds(promptIds(o.dir, o.promptTokens));
        long rssBase = procStatus("VmRSS");
        out("rss_base_kb", rssBase);
        RssSampler sampler = RssSampler.start();

        long t0 = System.nanoTime();
        try (MistralForCausalLM model = MistralForCausalLM.fromPretrained(dir.toString(),
                LoadOptions.defaults().withDtype("auto").withLocalFilesOnly(true));
                NDManager m = NDManager.newBaseManager()) {
            out("load_s", (System.nanoTime() - t0) / 1e9);
            out("model_dtype", model.dtype());
            Map<DType, Long> byType = new EnumMap<>(DType.class);
            for (NDArray p : model.stateDict().values()) {
                byType.merge(TorchOps.dtypeOf(p), p.getShape().size(), Long::sum);
            }
            out("param_dtypes", byType.toString().replace(" ", ""));

            NDArray ids = m.create(prompt, new Shape(1, prompt.length));
            // Warm-up (oneDNN primitives, JIT): one generate of the timed length, not timed. The JIT keeps compiling
            // the decode loop's Java code for a few hundred tokens, and on 2 cores its threads take CPU from the
            // decode: after a 32-token warm-up the first timed generate ran at 37-40 tok/s and later ones at ~50
            // (bfloat16, 2 threads). Jlama's side warms up the same way.
            generate(model, ids, o.newTokens);
            long fusedBefore = FusedDecoderLayer.callCount();

            Timing t = generate(model, ids, o.newTokens);
            out("ttft_ms", t.ttftMs);
            out("decode_tok_s", t.decodeTokS);
            out("decode_cores", t.decodeCores);
            out("java_alloc_per_token_bytes", t.allocPerToken);
            out("first_tokens", Arrays.toString(t.firstTokens).replace(" ", ""));
            out("fused_layer_steps", FusedDecoderLayer.callCount() - fusedBefore);
            // the peak of loading + generate(); the bare loop below allocates a second cache and prompt pass
            out("vmhwm_kb", procStatus("VmHWM"));
            if (sampler != null) {
                sampler.report();
            }
            if (o.bare) {
                out("bare_decode_tok_s", bareLoop(model, ids, o.newTokens));
            }
        }
        System.exit(0);
    }

    /** @param decodeCores process CPU time / wall time over the decode: the cores actually used */
    record Timing(double ttftMs, double decodeTokS, double decodeCores, long[] firstTokens, long allocPerToken) {}

    /** Bytes of Java objects this thread has allocated so far (HotSpot), -1 where the JVM cannot say. */
    static long threadAllocatedBytes() {
        return java.lang.management.ManagementFactory.getThreadMXBean()
                instanceof com.sun.management.ThreadMXBean t ? t.getCurrentThreadAllocatedBytes() : -1;
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** generate() with a static cache, greedy, no EOS; times from a streamer. */
    static Timing generate(MistralForCausalLM model, NDArray ids, int newTokens) {
        GenerationConfig config = model.generationConfig().toBuilder().maxNewTokens(newTokens).doSample(false)
                .cacheImplementation("static").eosTokenId(null).padTokenId(0).build();
        long[] stamps = new long[newTokens + 1];
        long[] cpu = new long[newTokens + 1];
        long[] allocated = new long[newTokens + 1];
        int[] puts = {0};
        List<Long> tokens = new ArrayList<>();
        BaseStreamer streamer = new BaseStreamer() {
            @Override
            public void put(long[] tokenIds) {
                int i = Math.min(puts[0]++, newTokens); // put 0 is the prompt
                stamps[i] = System.nanoTime();
                cpu[i] = processCpuNanos();
                allocated[i] = threadAllocatedBytes();
                if (puts[0] > 1) {
                    for (long id : tokenIds) {
                        tokens.add(id);
                    }
                }
            }

            @Override
            public void end() {}
        };
        try (NDScope scope = new NDScope()) {
            NDArray mask = ids.getManager().ones(ids.getShape(), DataType.INT64);
            long start = System.nanoTime();
            GenerateOutput out = model.generate(GenerateArgs.builder().inputs(ids).attentionMask(mask)
                    .generationConfig(config).streamer(streamer).build());
            long end = System.nanoTime();
            if (out.sequences().getShape().get(1) != ids.getShape().get(1) + newTokens || puts[0] != newTokens + 1) {
                throw new IllegalStateException("generate() made " + (out.sequences().getShape().get(1)
                        - ids.getShape().get(1)) + " tokens, expected " + newTokens);
            }
            double ttft = (stamps[1] - start) / 1e6;
            double decode = (newTokens - 1) / ((stamps[newTokens] - stamps[1]) / 1e9);
            double cores = (double) (cpu[newTokens] - cpu[1]) / (stamps[newTokens] - stamps[1]);
            long[] first = tokens.stream().limit(8).mapToLong(Long::longValue).toArray();
            return new Timing(ttft, decode, cores, first, (allocated[newTokens] - allocated[1]) / (newTokens - 1));
        }
    }

    /** The decode without generate(): forward one token on a StaticCache, argmax, repeat. Tokens/s. */
    static double bareLoop(MistralForCausalLM model, NDArray ids, int newTokens) {
        int promptLen = (int) ids.getShape().get(1);
        NDManager m = ids.getManager();
        try (StaticCache cache = (StaticCache) model.newCache("static", 1, promptLen + newTokens)) {
            long next;
            try (NDScope scope = new NDScope()) {
                CausalLMOutputWithPast out = model.forward(ModelInputs.builder().inputIds(ids)
                        .set("past_key_values", cache).set("cache_position", m.arange(0, promptLen, 1,
                                DataType.INT64)).useCache(true).build());
                next = out.logits().get(new NDIndex(":, -1, :")).argMax(-1).getLong();
            }
            long start = System.nanoTime();
            for (int i = 1; i < newTokens; i++) {
                try (NDScope scope = new NDScope()) {
                    long pos = promptLen + i - 1;
                    CausalLMOutputWithPast out = model.forward(ModelInputs.builder()
                            .inputIds(m.create(new long[] {next}, new Shape(1, 1)))
                            .set("past_key_values", cache).set("cache_position", m.create(new long[] {pos}))
                            .useCache(true).build());
                    next = out.logits().argMax(-1).getLong();
                }
            }
            return (newTokens - 1) / ((System.nanoTime() - start) / 1e9);
        }
    }

    // ================================================================== peak memory alone

    /**
     * {@code --memory-only}: one run of ours per dtype at {@code --shape} (with {@code --new-tokens}, a few will do),
     * and what the process holds at its peak against the checkpoint. The weights are mapped from the file, not
     * copied; above the base (the JVM and LibTorch before anything is loaded, ~200 MB whatever the model) the peak is
     * the checkpoint plus the static cache, a prompt's activations and what the Java heap grew by. At 150M parameters
     * the base alone is 0.3-0.6x of the checkpoint; at TinyLlama's 1.1B it is 0.05-0.1x.
     */
    static void memoryOnly(Options o, Map<String, Path> ckpt) throws Exception {
        Map<String, Object> shape = SHAPES.get(o.shape);
        long layers = ((Number) shape.get("num_hidden_layers")).longValue();
        long kvHeads = ((Number) shape.get("num_key_value_heads")).longValue();
        long headDim = ((Number) shape.get("hidden_size")).longValue()
                / ((Number) shape.get("num_attention_heads")).longValue();
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "%n== Peak memory: shape %s, prompt %d tokens, %d new tokens "
                + "(static cache), %d threads%n", o.shape, o.promptTokens, o.newTokens, o.threads));
        table.append(String.format(Locale.ROOT, "%-6s %10s %10s %10s %10s %12s %12s %12s %12s %10s%n", "dtype",
                "ckpt MB", "cache MB", "base MB", "VmHWM MB", "VmHWM/ckpt", "(-base)/ckpt", "mapped/ckpt",
                "anon+ MB", "TTFT ms"));
        for (Map.Entry<String, Path> e : ckpt.entrySet()) {
            Map<String, String> r = runChild(o, e.getKey(), false);
            double size = Files.size(e.getValue().resolve("model.safetensors"));
            double cache = 2.0 * layers * kvHeads * headDim * (o.promptTokens + o.newTokens)
                    * (e.getKey().equals("f32") ? 4 : 2);
            double hwm = num(r, "vmhwm_kb") * 1024;
            double base = num(r, "rss_base_kb") * 1024;
            table.append(String.format(Locale.ROOT, "%-6s %10s %10s %10s %10s %12s %12s %12s %12s %10s%n",
                    e.getKey(), fmt(size / 1e6), fmt(cache / 1e6), fmt(base / 1e6), fmt(hwm / 1e6),
                    fmt(hwm / size) + "x", fmt((hwm - base) / size) + "x",
                    fmt(num(r, "file_above_base_at_peak_kb") * 1024 / size) + "x",
                    fmt(num(r, "anon_above_base_kb") * 1024 / 1e6), fmt(num(r, "ttft_ms"))));
        }
        table.append("base: VmRSS of the child before loading (JVM, LibTorch, kernels); mapped: the checkpoint's pages "
                + "in RSS at the peak; anon+: anonymous memory above the base at its peak (cache, activations, heap)\n");
        System.out.println(table);
    }

    // ================================================================== running the children

    static Map<String, String> runChild(Options o, String dtype, boolean withBareLoop) throws IOException,
            InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
                "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"));
        cmd.addAll(o.jvmArgs);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), LlmDecodeBenchmark.class.getName()));
        cmd.addAll(o.childArgs(dtype, withBareLoop));
        System.out.println("-- transformers4j " + dtype + " (fresh JVM)");
        return runAndParse(cmd, "T4J ");
    }

    static Map<String, String> runJlama(Options o, Path dir, Path promptFile) throws IOException,
            InterruptedException {
        List<String> cmd = List.of(o.jlamaJava, "--add-modules", "jdk.incubator.vector",
                "-Djdk.incubator.vector.VECTOR_ACCESS_OOB_CHECK=0", "-cp", o.jlamaClasspath,
                "io.transformers4j.jlama.JlamaDecode", dir.toString(), promptFile.toString(),
                String.valueOf(o.threads), String.valueOf(o.newTokens), "1");
        System.out.println("-- Jlama " + dir.getFileName() + " (fresh JVM)");
        Map<String, String> r = runAndParse(cmd, "JLAMA ");
        String run = r.remove("run=0");
        if (run != null) {
            r.putAll(keyValues(run));
        }
        return r;
    }

    /** Runs {@code cmd}, echoes its output, and collects "PREFIX key=value ..." lines. */
    static Map<String, String> runAndParse(List<String> cmd, String prefix) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        Map<String, String> result = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (line.startsWith(prefix)) {
                    System.out.println("   " + line);
                    String rest = line.substring(prefix.length()).trim();
                    if (rest.startsWith("run=")) {
                        result.put(rest.substring(0, rest.indexOf(' ')), rest.substring(rest.indexOf(' ') + 1));
                    } else {
                        result.putAll(keyValues(rest));
                    }
                } else if (!line.startsWith("WARNING") && !line.startsWith("SLF4J")) {
                    System.out.println("   | " + line);
                }
            }
        }
        int rc = p.waitFor();
        if (rc != 0) {
            result.put("error", "exit code " + rc);
        }
        return result;
    }

    static Map<String, String> keyValues(String s) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String tok : s.trim().split("\\s+")) {
            int eq = tok.indexOf('=');
            if (eq > 0) {
                m.put(tok.substring(0, eq), tok.substring(eq + 1));
            }
        }
        return m;
    }

    static Map<String, Double> runJmh(Options o) throws RunnerException {
        Map<String, Double> tokPerS = new LinkedHashMap<>();
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(LlmDecodeStepBenchmark.class.getSimpleName())
                .param("dtype", o.dtypes.toArray(new String[0]))
                .param("threads", String.valueOf(o.threads))
                .param("dir", o.dir.toAbsolutePath().toString())
                .warmupIterations(2).warmupTime(TimeValue.seconds(3))
                .measurementIterations(5).measurementTime(TimeValue.seconds(3))
                .forks(1).build()).run();
        for (RunResult r : results) {
            // AverageTime in ms per step
            tokPerS.put(r.getParams().getParam("dtype"), 1000.0 / r.getPrimaryResult().getScore());
        }
        return tokPerS;
    }

    // ================================================================== the table

    static void printTable(java.io.PrintWriter out, Options o, Map<String, Path> ckpt, Bandwidth bw,
            Map<String, List<Map<String, String>>> ours, Map<String, List<Map<String, String>>> jlama,
            Map<String, Double> jmhStep, String jlamaNote, String loadBefore, String loadAfter) throws IOException {
        out.println();
        out.println("== Results: batch 1, greedy, prompt " + o.promptTokens + " tokens, " + o.newTokens
                + " new tokens, " + o.threads + " threads, median of " + o.rounds + " rounds (load average before "
                + loadBefore + ", after " + loadAfter + ")");
        out.printf(Locale.ROOT, "%-38s", "");
        for (String d : ckpt.keySet()) {
            out.printf(Locale.ROOT, "%20s", d);
        }
        out.println();
        Map<String, String[]> rows = new LinkedHashMap<>();
        for (Map.Entry<String, Path> e : ckpt.entrySet()) {
            String d = e.getKey();
            List<Map<String, String>> us = ours.getOrDefault(d, List.of());
            List<Map<String, String>> jl = jlama.getOrDefault(d, List.of());
            long size = Files.size(e.getValue().resolve("model.safetensors"));
            long perToken = bytesPerToken(e.getValue());
            double bound = bw.copyGBs * 1e9 / perToken;
            double boundRead = bw.readGBs * 1e9 / perToken;
            double dec = median(us, "decode_tok_s");
            List<Double> ratios = new ArrayList<>();
            for (int r = 0; r < Math.min(us.size(), jl.size()); r++) {
                ratios.add(num(us.get(r), "decode_tok_s") / num(jl.get(r), "decode_tok_s"));
            }
            double hwm = max(us, "vmhwm_kb") * 1024;
            double base = median(us, "rss_base_kb") * 1024;
            row(rows, d, "checkpoint size (MB)", fmt(size / 1e6));
            row(rows, d, "weight bytes read per token (MB)", fmt(perToken / 1e6));
            row(rows, d, "bound @copy bandwidth (tok/s)", fmt(bound));
            row(rows, d, "bound @read bandwidth (tok/s)", fmt(boundRead));
            row(rows, d, "ours: generate() decode (tok/s)", fmt(dec) + " " + range(us, "decode_tok_s"));
            row(rows, d, "ours: bare loop decode (tok/s)", fmt(median(us, "bare_decode_tok_s")));
            row(rows, d, "ours: cores used in decode", fmt(median(us, "decode_cores")));
            row(rows, d, "ours: fused decoder-layer steps", fmt(median(us, "fused_layer_steps")));
            if (jmhStep.containsKey(d)) {
                row(rows, d, "ours: JMH step @640 (tok/s)", fmt(jmhStep.get(d)));
            }
            row(rows, d, "ours / copy bound", pct(dec / bound));
            row(rows, d, "ours / read bound", pct(dec / boundRead));
            row(rows, d, "Jlama: decode (tok/s)", jl.isEmpty() ? "-" : fmt(median(jl, "decode_tok_s")) + " "
                    + range(jl, "decode_tok_s"));
            row(rows, d, "Jlama: cores used in decode", jl.isEmpty() ? "-" : fmt(median(jl, "decode_cores")));
            row(rows, d, "ours / Jlama (median of rounds)", ratios.isEmpty() ? "-"
                    : fmt(median(ratios)) + "x " + rangeOf(ratios));
            row(rows, d, "ours: TTFT " + o.promptTokens + " tokens (ms)", fmt(median(us, "ttft_ms")));
            row(rows, d, "Jlama: TTFT (ms)", jl.isEmpty() ? "-" : fmt(median(jl, "ttft_ms")));
            row(rows, d, "ours: peak RSS VmHWM (MB)", fmt(hwm / 1e6));
            row(rows, d, "ours: VmHWM / checkpoint", fmt(hwm / size) + "x");
            row(rows, d, "ours: (VmHWM - JVM,LibTorch) / ckpt", fmt((hwm - base) / size) + "x");
            row(rows, d, "ours: weights mapped at peak / ckpt", fmt(max(us, "file_above_base_at_peak_kb") * 1024 / size)
                    + "x");
            row(rows, d, "ours: anonymous memory above base (MB)", fmt(max(us, "anon_above_base_kb") * 1024 / 1e6));
            row(rows, d, "ours: Java allocation per token (KB)",
                    fmt(median(us, "java_alloc_per_token_bytes") / 1e3));
            row(rows, d, "Jlama: VmHWM (MB)", jl.isEmpty() ? "-" : fmt(max(jl, "vmhwm_kb") * 1024 / 1e6));
            row(rows, d, "parameter dtypes (ours)", us.isEmpty() ? "-" : us.get(0).getOrDefault("param_dtypes", "-"));
            boolean same = !jl.isEmpty() && !us.isEmpty();
            for (int r = 0; same && r < Math.min(us.size(), jl.size()); r++) {
                same = us.get(r).getOrDefault("first_tokens", "?").equals(jl.get(r).get("first_tokens"));
            }
            row(rows, d, "first 8 tokens equal Jlama's", jl.isEmpty() ? "-" : String.valueOf(same));
        }
        for (Map.Entry<String, String[]> r : rows.entrySet()) {
            out.printf(Locale.ROOT, "%-38s", r.getKey());
            for (String v : r.getValue()) {
                out.printf(Locale.ROOT, "%20s", v == null ? "-" : v);
            }
            out.println();
        }
        out.println("[min-max] over rounds. JVM,LibTorch = VmRSS once the engine and bridge are loaded, before "
                + "the model. Our JVMs ran with " + String.join(" ", o.jvmArgs) + "; native kernels "
                + (io.transformers4j.torch.Bf16Gemv.isAvailable() ? "on" : "off ("
                        + io.transformers4j.torch.Bf16Gemv.unavailableReason() + ")") + "; fused decoder layers "
                + (FusedDecoderLayer.isEnabled() ? "on" : "off") + ".");
        if (jlamaNote != null) {
            out.println("Jlama " + jlamaNote);
        }
        for (Map<String, List<Map<String, String>>> engine : List.of(ours, jlama)) {
            for (Map.Entry<String, List<Map<String, String>>> e : engine.entrySet()) {
                for (Map<String, String> run : e.getValue()) {
                    if (run.containsKey("error")) {
                        out.println((engine == ours ? "transformers4j " : "Jlama ") + e.getKey() + ": "
                                + run.get("error"));
                    }
                }
            }
        }
    }

    static double median(List<Map<String, String>> runs, String key) {
        return median(runs.stream().map(m -> num(m, key)).filter(v -> !Double.isNaN(v)).toList());
    }

    static double max(List<Map<String, String>> runs, String key) {
        return runs.stream().mapToDouble(m -> num(m, key)).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
    }

    static String range(List<Map<String, String>> runs, String key) {
        return rangeOf(runs.stream().map(m -> num(m, key)).filter(v -> !Double.isNaN(v)).toList());
    }

    static String rangeOf(List<Double> xs) {
        if (xs.size() < 2) {
            return "";
        }
        return "[" + fmt(xs.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN)) + "-"
                + fmt(xs.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN)) + "]";
    }

    private static void row(Map<String, String[]> rows, String dtype, String name, String value) {
        String[] r = rows.computeIfAbsent(name, k -> new String[2]);
        r[dtype.equals("f32") ? 0 : 1] = value;
    }

    // ================================================================== small helpers

    static void out(String key, Object value) {
        String v = value instanceof Double d ? fmt(d) : String.valueOf(value);
        System.out.println("T4J " + key + "=" + v);
    }

    static double num(Map<String, String> m, String key) {
        String v = m.get(key);
        try {
            return v == null ? Double.NaN : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "-";
        }
        return String.format(Locale.ROOT, v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f", v);
    }

    static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * v);
    }

    static double median(List<Double> xs) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return a.length == 0 ? Double.NaN : a.length % 2 == 1 ? a[a.length / 2]
                : (a[a.length / 2 - 1] + a[a.length / 2]) / 2;
    }

    /**
     * What the peak is made of: RssAnon (native allocations, the Java heap's touched pages, JIT code) and RssFile
     * (the memory-mapped weights, and the libraries' code), sampled every 20 ms from when the engine is loaded.
     * VmHWM alone cannot tell a process that holds more of its own memory from one that has more of the checkpoint's
     * pages mapped, and how many of those a read maps is the kernel's choice (fault-around, folio sizes): a prompt of
     * 512 random ids mapped all of the 131 MB float32 embedding table on this machine, while whole runs of the same
     * code hours earlier peaked ~100 MB lower.
     */
    static final class RssSampler {
        private final ProcStatus status;
        private final long anonBase;
        private final long fileBase;
        private volatile long maxAnon;
        private volatile long maxSum;
        private volatile long fileAtMaxSum;

        private RssSampler(ProcStatus status) {
            this.status = status;
            synchronized (status) {
                status.refresh();
                anonBase = status.field(ProcStatus.RSS_ANON);
                fileBase = status.field(ProcStatus.RSS_FILE);
            }
            maxAnon = anonBase;
            maxSum = anonBase + fileBase;
            fileAtMaxSum = fileBase;
        }

        /** Null where there is no /proc/self/status (not Linux). */
        static RssSampler start() throws IOException {
            ProcStatus status = ProcStatus.open();
            if (status == null) {
                return null;
            }
            RssSampler s = new RssSampler(status);
            Thread t = new Thread(() -> {
                while (true) {
                    s.sample();
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "rss-sampler");
            t.setDaemon(true);
            t.start();
            return s;
        }

        void sample() {
            long anon;
            long file;
            synchronized (status) {
                status.refresh();
                anon = status.field(ProcStatus.RSS_ANON);
                file = status.field(ProcStatus.RSS_FILE);
            }
            maxAnon = Math.max(maxAnon, anon);
            if (anon + file > maxSum) {
                maxSum = anon + file;
                fileAtMaxSum = file;
            }
        }

        void report() {
            sample();
            out("anon_above_base_kb", maxAnon - anonBase);
            out("file_above_base_at_peak_kb", fileAtMaxSum - fileBase);
        }
    }

    /**
     * /proc/self/status read into one reused buffer, its kB fields parsed in place. The RSS sampler reads it every 20 ms
     * and must not allocate, or the Java heap it measures grows with its own garbage (reading the file as lines and
     * parsing with a regex was a quarter of the child's allocation, 34 MB over a run, by JFR).
     */
    static final class ProcStatus implements AutoCloseable {
        static final byte[] RSS_ANON = fieldName("RssAnon");
        static final byte[] RSS_FILE = fieldName("RssFile");

        private final FileChannel channel;
        private final ByteBuffer buf = ByteBuffer.allocate(8192);

        private ProcStatus(FileChannel channel) {
            this.channel = channel;
        }

        static byte[] fieldName(String field) {
            return (field + ":").getBytes(StandardCharsets.US_ASCII);
        }

        /** Null where there is no /proc/self/status (not Linux). */
        static ProcStatus open() throws IOException {
            Path path = Path.of("/proc/self/status");
            return Files.isReadable(path) ? new ProcStatus(FileChannel.open(path)) : null;
        }

        /** Reads the file again (from offset 0; /proc files are generated on each read). */
        void refresh() {
            buf.clear();
            try {
                long pos = 0;
                int n;
                while (buf.hasRemaining() && (n = channel.read(buf, pos)) > 0) {
                    pos += n;
                }
            } catch (IOException e) {
                buf.limit(0);
                return;
            }
            buf.flip();
        }

        /** The kB number after {@code name} (see {@link #fieldName}) at the start of a line, -1 if absent. */
        long field(byte[] name) {
            byte[] a = buf.array();
            int end = buf.limit();
            for (int i = 0; i + name.length <= end; i++) {
                if ((i == 0 || a[i - 1] == '\n') && Arrays.equals(a, i, i + name.length, name, 0, name.length)) {
                    long v = 0;
                    int j = i + name.length;
                    while (j < end && (a[j] == ' ' || a[j] == '\t')) {
                        j++;
                    }
                    while (j < end && a[j] >= '0' && a[j] <= '9') {
                        v = v * 10 + (a[j++] - '0');
                    }
                    return v;
                }
            }
            return -1;
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** A kB field of /proc/self/status (VmRSS, VmHWM), -1 where there is none (not Linux). */
    static long procStatus(String field) {
        try (ProcStatus s = ProcStatus.open()) {
            if (s == null) {
                return -1;
            }
            s.refresh();
            return s.field(ProcStatus.fieldName(field));
        } catch (IOException e) {
            return -1;
        }
    }

    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + "/" + f[1] + "/" + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static String describeMachine(List<Integer> threads) {
        String cpu = "?";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
        } catch (IOException e) {
            // not Linux
        }
        long memKb = -1;
        try {
            memKb = Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
                    .findFirst().map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).orElse(-1L);
        } catch (IOException e) {
            // not Linux
        }
        return cpu + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + (memKb / 1024 / 1024)
                + " GB RAM; Java " + System.getProperty("java.version") + ", LibTorch " + Torch.libtorchVersion()
                + "; intra-op threads " + threads;
    }
}
