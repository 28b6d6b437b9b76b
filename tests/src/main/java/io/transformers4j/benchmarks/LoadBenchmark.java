package io.transformers4j.benchmarks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.models.gpt2.GPT2Config;
import io.transformers4j.models.gpt2.GPT2LMHeadModel;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.PreTrainedModel;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code fromPretrained} of a ~500 MB safetensors checkpoint (GPT-2 small shape, 124M float32 parameters) against
 * the peer "read the file once" (one sequential FileChannel read into a buffer). Both run with the file in the page
 * cache. {@code fromPretrainedAndTouch} also reads every weight once (a sum per tensor), so the lazily mapped pages
 * are really brought in: the honest comparison with reading the file.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx6g"})
public class LoadBenchmark {

    private Path dir;
    private ByteBuffer buffer;

    @Setup(Level.Trial)
    public void createCheckpoint() throws IOException {
        dir = Files.createTempDirectory("t4j-load-bench");
        GPT2Config config = PretrainedConfig.fromMap(Map.of("n_embd", 768, "n_layer", 12, "n_head", 12,
                "vocab_size", 50257, "n_positions", 1024), GPT2Config.class);
        try (GPT2LMHeadModel m = PreTrainedModel.fromConfig(GPT2LMHeadModel.CLASS, config, 0, Device.cpu())) {
            m.savePretrained(dir);
        }
        buffer = ByteBuffer.allocateDirect(Math.toIntExact(Files.size(dir.resolve("model.safetensors"))));
    }

    @TearDown(Level.Trial)
    public void delete() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Benchmark
    public long readFileOnce() throws IOException {
        buffer.clear();
        try (FileChannel ch = FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.READ)) {
            while (ch.read(buffer) > 0) {
                // read it all
            }
        }
        return buffer.position();
    }

    @Benchmark
    public int fromPretrained() throws IOException {
        try (GPT2LMHeadModel m = GPT2LMHeadModel.fromPretrained(dir.toString(), LoadOptions.defaults().withLocalFilesOnly(true))) {
            return m.stateDict().size();
        }
    }

    @Benchmark
    public double fromPretrainedAndTouch() throws IOException {
        try (GPT2LMHeadModel m = GPT2LMHeadModel.fromPretrained(dir.toString(), LoadOptions.defaults().withLocalFilesOnly(true))) {
            double s = 0;
            for (NDArray a : m.stateDict().values()) {
                try (NDArray sum = a.sum()) {
                    s += sum.getFloat();
                }
            }
            return s;
        }
    }
}
