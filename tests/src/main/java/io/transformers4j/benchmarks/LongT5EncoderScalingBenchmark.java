package io.transformers4j.benchmarks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.models.longt5.LongT5Config;
import io.transformers4j.models.longt5.LongT5EncoderModel;
import io.transformers4j.modeling.PreTrainedModel;
import java.util.Map;
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
 * LongT5's encoder cost must grow linearly with the input (local / transient-global attention over blocks, never a
 * full seq x seq score matrix): the check is time(16,384 tokens) within 4.5x of time(4,096 tokens). A tiny
 * random config (the cost structure, not the weights, is what is measured); compare the two {@code length} rows.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx4g"})
public class LongT5EncoderScalingBenchmark {

    @Param({"4096", "16384"})
    public int length;

    @Param({"local", "transient-global"})
    public String attention;

    private LongT5EncoderModel model;
    private NDManager manager;
    private NDArray ids;
    private NDArray mask;

    @Setup(Level.Trial)
    public void build() {
        LongT5Config config = PretrainedConfig.fromMap(Map.of("vocab_size", 128, "d_model", 32, "d_kv", 8,
                "d_ff", 64, "num_layers", 2, "num_heads", 4, "local_radius", 63, "global_block_size", 16,
                "encoder_attention_type", attention, "is_encoder_decoder", true), LongT5Config.class);
        model = PreTrainedModel.fromConfig(LongT5EncoderModel.CLASS, config, 0, Device.cpu());
        manager = NDManager.newBaseManager();
        long[] tokens = new long[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = 2 + (i * 31L) % 120;
        }
        ids = manager.create(tokens).reshape(1, length);
        mask = ids.onesLike();
    }

    @TearDown(Level.Trial)
    public void close() {
        manager.close();
        model.close();
    }

    @Benchmark
    public float encode() {
        try (NDArray h = model.forward(ids, mask).lastHiddenState()) {
            return h.getFloat(0, 0, 0);
        }
    }
}
