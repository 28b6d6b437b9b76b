package io.transformers4j.benchmarks;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.transformers4j.tokenizers.AutoTokenizer;
import io.transformers4j.tokenizers.BatchEncoding;
import io.transformers4j.tokenizers.EncodeOptions;
import io.transformers4j.tokenizers.PreTrainedTokenizer;
import io.transformers4j.tokenizers.TokenizerOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
import org.openjdk.jmh.runner.options.CommandLineOptions;

/**
 * Batch-encodes 10,000 sentences with padding (longest) and truncation (max_length 128), three ways on the same
 * tokenizer.json (the BERT WordPiece of tests/fixtures/tokenizers/bert-uncased, converted and saved):
 * <ul>
 *   <li>{@code djlDirect}: DJL's HuggingFaceTokenizer configured for padding + truncation, batchEncode + ids;</li>
 *   <li>{@code fastTokenizer}: our PreTrainedTokenizerFast over that tokenizer.json (what AutoTokenizer picks for a
 *       checkpoint with tokenizer.json), Python's padding / truncation done in Java;</li>
 *   <li>{@code convertedSlow}: our BertTokenizer on vocab.txt (converter + the same Java layer).</li>
 * </ul>
 * The budget: our layer adds at most 10% over djlDirect (compare fastTokenizer / djlDirect from one run;
 * {@link #main} prints the ratios). The set-up checks that fastTokenizer returns exactly DJL's input_ids,
 * token_type_ids and attention_mask, so both do the same work. Our layer asks Rust for the ids only and pads in Java,
 * where DJL copies tokens, spans, word ids and masks of every (padded) row through JNI: it is usually faster.
 * Run: {@code tests/run-benchmarks TokenizerBatchEncode -wi 2 -i 5 -f 1} (optionally
 * {@code -p fixtureDir=/path/to/bert-uncased}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgs = {"-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true", "-Xmx2g"})
public class TokenizerBatchEncodeBenchmark {

    @Param({"tests/fixtures/tokenizers/bert-uncased"})
    public String fixtureDir;

    @Param({"10000"})
    public int sentences;

    @Param({"128"})
    public int maxLength;

    private List<String> texts;
    private Path saved;
    private HuggingFaceTokenizer djl;
    private PreTrainedTokenizer fast;
    private PreTrainedTokenizer slow;
    private EncodeOptions options;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Path dir = Path.of(fixtureDir);
        if (!Files.isDirectory(dir)) {
            throw new IOException("No fixture folder " + dir.toAbsolutePath() + ": run from the repository root or"
                    + " pass -p fixtureDir=...");
        }
        slow = AutoTokenizer.fromPretrained(dir.toString(), TokenizerOptions.defaults().withUseFast(false));
        saved = Files.createTempDirectory("tokenizer-bench");
        slow.savePretrained(saved);
        fast = AutoTokenizer.fromPretrained(saved.toString());
        djl = HuggingFaceTokenizer.newInstance(saved.resolve("tokenizer.json"), Map.of("padding", "LONGEST",
                "truncation", "LONGEST_FIRST", "maxLength", String.valueOf(maxLength), "addSpecialTokens", "true"));
        options = EncodeOptions.builder().padding(true).truncation(true).maxLength(maxLength).build();
        texts = corpus(sentences);
        checkSameOutput();
    }

    /** Both sides must produce the same tensors, or the comparison measures different work. */
    private void checkSameOutput() {
        Encoding[] expected = djl.batchEncode(texts);
        BatchEncoding got = fast.batchEncodePlus(texts, options);
        for (int i = 0; i < expected.length; i++) {
            BatchEncoding.Row r = got.row(i);
            if (!Arrays.equals(expected[i].getIds(), r.inputIds())
                    || !Arrays.equals(expected[i].getTypeIds(), r.tokenTypeIds())
                    || !Arrays.equals(expected[i].getAttentionMask(), r.attentionMask())) {
                throw new IllegalStateException("Row " + i + " differs between DJL and PreTrainedTokenizerFast: "
                        + Arrays.toString(expected[i].getIds()) + " vs " + Arrays.toString(r.inputIds()));
            }
        }
    }

    /** Deterministic sentences of 3 to 60 words from a small English word list. */
    static List<String> corpus(int n) {
        String[] words = ("the quick brown fox jumps over lazy dog a lighthouse keeper counted steps good function"
                + " does one thing weather today is sunny with chance of rain later in evening people walked along"
                + " river bank while children played football near old bridge market sold fresh bread cheese and"
                + " apples 2024 numbers 3.14 e-mail hello world , . ! ?").split(" ");
        Random r = new Random(20240611);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = 3 + r.nextInt(58);
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < len; w++) {
                if (w > 0) {
                    sb.append(' ');
                }
                String word = words[r.nextInt(words.length)];
                sb.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word);
            }
            out.add(sb.append('.').toString());
        }
        return out;
    }

    @Benchmark
    public long djlDirect() {
        Encoding[] enc = djl.batchEncode(texts);
        long sum = 0;
        for (Encoding e : enc) {
            sum += e.getIds().length + e.getAttentionMask()[0];
        }
        return sum;
    }

    @Benchmark
    public long fastTokenizer() {
        return checksum(fast.batchEncodePlus(texts, options));
    }

    @Benchmark
    public long convertedSlow() {
        return checksum(slow.batchEncodePlus(texts, options));
    }

    private static long checksum(BatchEncoding b) {
        long sum = 0;
        for (BatchEncoding.Row r : b.rows()) {
            sum += r.inputIds().length + r.attentionMask()[0];
        }
        return sum;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        djl.close();
        fast.close();
        slow.close();
        try (var s = Files.list(saved)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(saved);
    }

    /** Runs the benchmark (JMH arguments allowed) and prints each variant's time relative to djlDirect. */
    public static void main(String[] args) throws Exception {
        CommandLineOptions cli = new CommandLineOptions(args.length == 0
                ? new String[] {TokenizerBatchEncodeBenchmark.class.getSimpleName()} : args);
        Collection<RunResult> results = new Runner(cli).run();
        Map<String, Double> ms = new TreeMap<>();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            ms.put(name.substring(name.lastIndexOf('.') + 1), r.getPrimaryResult().getScore());
        }
        Double djlMs = ms.get("djlDirect");
        ms.forEach((k, v) -> System.out.printf("%-14s %10.1f ms%s%n", k, v,
                djlMs == null ? "" : String.format("   %.3f x djlDirect", v / djlMs)));
    }
}
