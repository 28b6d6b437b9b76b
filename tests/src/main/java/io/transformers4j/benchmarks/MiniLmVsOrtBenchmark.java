package io.transformers4j.benchmarks;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.transformers4j.sentence.DefaultModel;
import io.transformers4j.sentence.SentenceTransformer;
import io.transformers4j.torch.Torch;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * all-MiniLM-L6-v2 sentence embeddings: transformers4j (the default model, BERT on LibTorch) against ONNX Runtime Java
 * running the original ONNX file it was imported from. Both do the same work per call: tokenize the batch with the
 * same tokenizer.json (truncate at 256, pad to the longest), run the encoder, mean-pool over the attention mask and
 * L2-normalise. Both runtimes are loaded in every fork (same process), with the same intra-op thread count
 * ({@code threads}: Torch.setNumThreads and ORT's intra-op threads; ORT's inter-op threads = 1).
 *
 * <p>{@code batch=8}: eight different sentences of about 32 tokens; {@code batch=1}: the first of them. The score is
 * batches per second; {@link #main} runs the grid and prints ours / ORT.
 *
 * <pre>
 * tests/run-benchmarks MiniLmVsOrt                    # JMH's own report
 * tests/run-benchmarks MiniLmVsOrt -p threads=2 -p batch=8
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx3g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class MiniLmVsOrtBenchmark {

    /** Eight sentences of 30-34 tokens each (with [CLS] / [SEP]). */
    static final List<String> SENTENCES = List.of(
            "The committee reviewed the annual budget proposal on Tuesday and decided to postpone the final vote until "
                    + "the new financial data arrives from the regional offices next month.",
            "Researchers at the university published a study showing that regular walking can improve memory and "
                    + "reduce stress levels in older adults who live alone in large cities.",
            "After the storm passed, volunteers gathered in the town square to clear fallen branches, repair damaged "
                    + "fences and hand out warm meals to families who had lost power.",
            "The new smartphone features a brighter display, a longer lasting battery and a camera that takes "
                    + "surprisingly sharp photos even in dim restaurants at night with friends.",
            "Our team migrated the billing service to a managed database, which cut the monthly hosting costs and made "
                    + "backups much easier to test and restore during incidents.",
            "She planted tomatoes, basil and peppers along the sunny side of the garden, then built a small fence to "
                    + "keep the neighbourhood rabbits away from the young seedlings.",
            "The museum's latest exhibition explores how ancient trade routes connected distant cultures, spreading "
                    + "spices, textiles, languages and ideas across deserts and oceans for centuries.",
            "Before the match, the coach reminded the players to stay calm, pass the ball quickly and trust each other "
                    + "when the opposing team pressed high in the second half.");

    @Param({"8", "1"})
    public int batch;

    @Param({"2", "1"})
    public int threads;

    private List<String> texts;
    private SentenceTransformer ours;
    private OrtEnvironment env;
    private OrtSession session;
    private HuggingFaceTokenizer tokenizer;

    @Setup(Level.Trial)
    public void load() throws IOException, OrtException {
        texts = SENTENCES.subList(0, batch);
        // A cache of its own, kept between runs: the import happens once, not in every fork.
        Path cache = Path.of(System.getProperty("java.io.tmpdir"), "t4j-benchmark-hub-cache");
        Path snapshot = DefaultModel.install(cache);
        Torch.setNumThreads(threads);
        ours = SentenceTransformer.fromPretrained(snapshot.toString());

        env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        byte[] onnx;
        try (InputStream in = DefaultModel.class.getResourceAsStream("/all-minilm-l6-v2.onnx")) {
            onnx = in.readAllBytes();
        }
        session = env.createSession(onnx, options);
        tokenizer = HuggingFaceTokenizer.newInstance(snapshot.resolve("tokenizer.json"),
                Map.of("truncation", "LONGEST_FIRST", "padding", "LONGEST", "maxLength", "256", "modelMaxLength", "256"));

        // Same answers, or the comparison means nothing.
        float[][] a = ours();
        float[][] b = ort();
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            for (int d = 0; d < a[i].length; d++) {
                worst = Math.max(worst, Math.abs(a[i][d] - b[i][d]));
            }
        }
        if (worst > 1e-4) {
            throw new IllegalStateException("transformers4j and ONNX Runtime disagree by " + worst);
        }
        System.out.println("\n# batch " + batch + " x " + tokenizer.batchEncode(texts)[0].getIds().length
                + " tokens (padded), threads " + threads + ", max |ours - ORT| = " + worst);
    }

    @TearDown(Level.Trial)
    public void close() throws OrtException {
        session.close();
        tokenizer.close();
        ours.close();
    }

    @Benchmark
    public float[][] ours() {
        return ours.encode(texts, batch);
    }

    @Benchmark
    public float[][] ort() throws OrtException {
        Encoding[] enc = tokenizer.batchEncode(texts);
        int b = enc.length;
        long[][] ids = new long[b][];
        long[][] mask = new long[b][];
        long[][] types = new long[b][];
        for (int i = 0; i < b; i++) {
            ids[i] = enc[i].getIds();
            mask[i] = enc[i].getAttentionMask();
            types[i] = enc[i].getTypeIds();
        }
        try (OnnxTensor ti = OnnxTensor.createTensor(env, ids);
                OnnxTensor tm = OnnxTensor.createTensor(env, mask);
                OnnxTensor tt = OnnxTensor.createTensor(env, types);
                OrtSession.Result r = session.run(Map.of("input_ids", ti, "attention_mask", tm, "token_type_ids", tt))) {
            float[][][] hidden = (float[][][]) r.get(0).getValue();
            float[][] out = new float[b][];
            for (int i = 0; i < b; i++) {
                out[i] = meanPoolNormalize(hidden[i], mask[i]);
            }
            return out;
        }
    }

    /** sentence-transformers' mean pooling and Normalize, as in the parity test. */
    static float[] meanPoolNormalize(float[][] hidden, long[] mask) {
        int dim = hidden[0].length;
        float[] sum = new float[dim];
        float count = 0;
        for (int t = 0; t < hidden.length; t++) {
            if (mask[t] != 0) {
                count++;
                for (int d = 0; d < dim; d++) {
                    sum[d] += hidden[t][d];
                }
            }
        }
        double norm = 0;
        for (int d = 0; d < dim; d++) {
            sum[d] /= Math.max(count, 1e-9f);
            norm += sum[d] * sum[d];
        }
        float inv = (float) (1 / Math.max(Math.sqrt(norm), 1e-12));
        for (int d = 0; d < dim; d++) {
            sum[d] *= inv;
        }
        return sum;
    }

    /**
     * Runs the benchmark (JMH options may be given, e.g. {@code -p threads=2}) and prints ours / ORT throughput; with
     * {@code --interleaved [rounds]} runs {@link #interleaved} instead.
     */
    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("--interleaved")) {
            interleaved(args.length > 1 ? Integer.parseInt(args[1]) : 15);
            return;
        }
        CommandLineOptions cli = new CommandLineOptions(args.length == 0
                ? new String[] {MiniLmVsOrtBenchmark.class.getSimpleName()} : args);
        Collection<RunResult> results = new Runner(cli).run();
        Map<String, double[]> byParams = new TreeMap<>();
        for (RunResult r : results) {
            String label = r.getParams().getBenchmark();
            String key = "batch=" + r.getParams().getParam("batch") + " threads=" + r.getParams().getParam("threads");
            double score = r.getPrimaryResult().getScore();
            double[] pair = byParams.computeIfAbsent(key, k -> new double[2]);
            pair[label.endsWith(".ours") ? 0 : 1] = score;
        }
        System.out.println("\nMiniLM embeddings, batches/s (higher is better):");
        byParams.forEach((k, v) -> System.out.printf("  %-20s ours %8.1f   ORT %8.1f   ours/ORT = %.2fx%n",
                k, v[0], v[1], v[0] / v[1]));
    }

    /**
     * The same comparison with both engines timed in turn inside one process: per configuration, {@code rounds}
     * rounds of (one second of ours, one second of ORT), the first engine alternating between rounds, and the
     * median of the per-round ratios with its quartiles. JMH times each engine in its own fork, minutes apart; on a
     * shared machine whose load drifts that can move the ratio by more than the difference measured, while
     * neighbouring seconds see the same load.
     *
     * <pre>
     * tests/run-benchmarks --main MiniLmVsOrtBenchmark --interleaved 15
     * </pre>
     */
    static void interleaved(int rounds) throws Exception {
        System.out.println("MiniLM embeddings, ours / ORT throughput, interleaved in one process (" + rounds
                + " rounds of 1 s + 1 s per configuration; median [quartiles] of the per-round ratios)");
        for (int threads : new int[] {1, 2}) {
            for (int batch : new int[] {8, 1}) {
                MiniLmVsOrtBenchmark b = new MiniLmVsOrtBenchmark();
                b.batch = batch;
                b.threads = threads;
                b.load();
                try {
                    for (int i = 0; i < 3; i++) { // warm-up: JIT, oneDNN/MLAS first-call set-up
                        callsIn(b::ours, 1.0);
                        callsIn(b::ort, 1.0);
                    }
                    double[] ratios = new double[rounds];
                    double oursSum = 0;
                    double ortSum = 0;
                    for (int r = 0; r < rounds; r++) {
                        double ours;
                        double ort;
                        if (r % 2 == 0) {
                            ours = callsIn(b::ours, 1.0);
                            ort = callsIn(b::ort, 1.0);
                        } else {
                            ort = callsIn(b::ort, 1.0);
                            ours = callsIn(b::ours, 1.0);
                        }
                        ratios[r] = ours / ort;
                        oursSum += ours;
                        ortSum += ort;
                    }
                    java.util.Arrays.sort(ratios);
                    System.out.printf(java.util.Locale.ROOT, "  batch=%d threads=%d  ours %.1f/s  ORT %.1f/s  ours/ORT = "
                            + "%.2fx [%.2f-%.2f]%n", batch, threads, oursSum / rounds, ortSum / rounds,
                            ratios[rounds / 2], ratios[rounds / 4], ratios[(3 * rounds) / 4]);
                } finally {
                    b.close();
                }
            }
        }
    }

    interface Call {
        Object run() throws Exception;
    }

    /** Calls per second of {@code call}, repeated for about {@code seconds}. */
    private static double callsIn(Call call, double seconds) throws Exception {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        int n = 0;
        long now;
        do {
            call.run();
            n++;
            now = System.nanoTime();
        } while (now < end);
        return n / ((now - start) / 1e9);
    }
}
