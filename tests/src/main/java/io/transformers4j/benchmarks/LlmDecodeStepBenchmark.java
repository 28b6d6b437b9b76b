package io.transformers4j.benchmarks;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.outputs.CausalLMOutputWithPast;
import io.transformers4j.models.mistral.MistralForCausalLM;
import io.transformers4j.torch.Torch;
import java.io.IOException;
import java.nio.file.Path;
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
 * One greedy decode step (batch 1, one token: forward + argmax) of {@link LlmDecodeBenchmark}'s Mistral-shaped
 * checkpoint on a StaticCache of prompt + new-token slots, at cache position {@code position} (640: the middle of
 * the 256 tokens generated after a 512-token prompt). Each invocation writes the same slot again, so every step sees
 * the same cache: the steady-state cost of a token, in ms. {@code LlmDecodeBenchmark --jmh} runs it and reports
 * 1000 / score tokens/s; alone: {@code tests/run-benchmarks LlmDecodeStep -p dtype=bf16} (the checkpoints must exist:
 * run tests/run-llm-benchmark once).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx1g"})
public class LlmDecodeStepBenchmark {

    @Param({"f32", "bf16"})
    public String dtype;

    @Param({"640"})
    public int position;

    @Param({"2"})
    public int threads;

    @Param({"tests/target/bench-checkpoints"})
    public String dir;

    private MistralForCausalLM model;
    private NDManager manager;
    private StaticCache cache;
    private NDArray token;
    private NDArray cachePosition;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Torch.setNumThreads(threads);
        Torch.ensureThreadReady();
        Path ckpt = LlmDecodeBenchmark.checkpoint(Path.of(dir), dtype);
        model = MistralForCausalLM.fromPretrained(ckpt.toString(), LoadOptions.defaults().withDtype("auto")
                .withLocalFilesOnly(true));
        manager = NDManager.newBaseManager();
        int maxLen = LlmDecodeBenchmark.PROMPT_TOKENS + LlmDecodeBenchmark.NEW_TOKENS;
        if (position >= maxLen) {
            throw new IllegalArgumentException("position must be < " + maxLen + ", got " + position);
        }
        cache = (StaticCache) model.newCache("static", 1, maxLen);
        // Fill slots [0, position) as a prompt of that length would.
        long[] ids = LlmDecodeBenchmark.readIds(LlmDecodeBenchmark.promptIds(Path.of(dir), position));
        try (NDScope scope = new NDScope()) {
            model.forward(ModelInputs.builder().inputIds(manager.create(ids, new Shape(1, position)))
                    .set("past_key_values", cache).set("cache_position", manager.arange(0, position, 1,
                            DataType.INT64)).useCache(true).build());
        }
        token = manager.create(new long[] {ids[position - 1]}, new Shape(1, 1));
        cachePosition = manager.create(new long[] {position});
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cache.close();
        manager.close();
        model.close();
    }

    @Benchmark
    public long decodeStep() {
        try (NDScope scope = new NDScope()) {
            CausalLMOutputWithPast out = model.forward(ModelInputs.builder().inputIds(token)
                    .set("past_key_values", cache).set("cache_position", cachePosition).useCache(true).build());
            return out.logits().argMax(-1).getLong();
        }
    }
}
