package io.transformers4j.benchmarks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.models.CausalLMGeneration;
import io.transformers4j.models.gpt2.GPT2Config;
import io.transformers4j.models.gpt2.GPT2LMHeadModel;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.CausalLMOutputWithCrossAttentions;
import io.transformers4j.torch.Torch;
import java.util.List;
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
 * What {@code generate()} costs beyond the model's own forward passes: greedy decoding, batch 1, a GPT-2 small shaped
 * model (12 layers, 768 hidden, 12 heads, vocab 50257; random weights), {@code newTokens} tokens after a
 * {@code promptLength} prompt.
 *
 * <p>{@code generateGreedy} is {@code model.generate(...)}; {@code forwardLoop} does the same model work by hand (the
 * same forwards with the cache, attention mask and position ids generate() passes, an argmax per step) with nothing
 * else. Target: generateGreedy within 5% of forwardLoop.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 8)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx4g"})
public class GenerateOverheadBenchmark {

    @Param({"32"})
    public int promptLength;

    @Param({"32"})
    public int newTokens;

    private GPT2LMHeadModel model;
    private NDManager manager;
    private NDArray prompt;
    private NDArray mask;
    private GenerationConfig config;

    @Setup(Level.Trial)
    public void setUp() {
        Torch.ensureThreadReady();
        GPT2Config c = PretrainedConfig.fromMap(Map.of("n_embd", 768, "n_layer", 12, "n_head", 12,
                "vocab_size", 50257, "n_positions", 1024), GPT2Config.class);
        model = PreTrainedModel.fromConfig(GPT2LMHeadModel.CLASS, c, 0, Device.cpu());
        manager = NDManager.newBaseManager();
        prompt = manager.randomInteger(0, 50257, new Shape(1, promptLength), DataType.INT64);
        mask = manager.ones(new Shape(1, promptLength), DataType.INT64);
        // no EOS: every run generates exactly newTokens tokens
        config = GenerationConfig.builder().maxNewTokens(newTokens).padTokenId(0).build();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        manager.close();
        model.close();
    }

    @Benchmark
    public long generateGreedy() {
        try (GenerateOutput out = model.generate(prompt, mask, config)) {
            return out.sequences().getShape().get(1);
        }
    }

    @Benchmark
    public long forwardLoop() {
        Torch.ensureThreadReady();
        long last = 0;
        try (NDManager m = manager.newSubManager()) {
            NDArray ids = prompt.duplicate();
            ids.attach(m);
            NDArray attention = mask.duplicate();
            attention.attach(m);
            List<NDArray[]> past = null;
            NDArray next = ids;
            for (int step = 0; step < newTokens; step++) {
                try (NDScope scope = new NDScope()) {
                    NDArray positions = CausalLMGeneration.positionIdsFromMask(attention)
                            .get(new NDIndex(":, {}:", -next.getShape().get(1)));
                    CausalLMOutputWithCrossAttentions out = model.forward(ModelInputs.builder().inputIds(next)
                            .attentionMask(attention).positionIds(positions).pastKeyValues(past).useCache(true)
                            .build());
                    NDArray token = out.logits().get(new NDIndex(":, -1, :")).argMax(-1).reshape(1, 1);
                    last = token.getLong();
                    if (past != null) {
                        past.forEach(kv -> {
                            kv[0].close();
                            kv[1].close();
                        });
                    }
                    past = out.pastKeyValues();
                    next = token;
                    attention = attention.concat(m.ones(new Shape(1, 1), DataType.INT64), 1);
                    NDScope.unregister(next, attention);
                    out.logits().close();
                }
            }
        }
        return last;
    }
}
