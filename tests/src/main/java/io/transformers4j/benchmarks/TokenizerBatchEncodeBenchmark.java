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
import java.util.List;
import java.util.Map;
import java.util.Random;
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

/**
 * Batch-encodes 10,000 sentences with padding (longest) and truncation (max_length 128), three ways on the same
 * tokenizer.json (the BERT WordPiece of tests/fixtures/tokenizers/bert-uncased, converted and saved):
 * <ul>
 *   <li>{@code djlDirect}: DJL's HuggingFaceTokenizer configured for padding + truncation, batchEncode + ids;</li>
 *   <li>{@code fastTokenizer}: our PreTrainedTokenizerFast over that tokenizer.json (what AutoTokenizer picks for a
 *       checkpoint with tokenizer.json), Python's padding / truncation done in Java;</li>
 *   <li>{@code convertedSlow}: our BertTokenizer on vocab.txt (converter + the same Java layer).</li>
 * </ul>
 * The budget: our layer adds at most 10% over djlDirect. Run:
 * {@code java -cp tests/target/classes:$(cat tests/target/run-fixtures.classpath) org.openjdk.jmh.Main
 * TokenizerBatchEncodeBenchmark} (optionally {@code -p fixtureDir=/path/to/bert-uncased}).
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
}
