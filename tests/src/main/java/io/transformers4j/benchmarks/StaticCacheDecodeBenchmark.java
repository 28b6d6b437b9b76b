package io.transformers4j.benchmarks;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.models.llama.LlamaConfig;
import io.transformers4j.models.llama.LlamaForCausalLM;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.CausalLMOutputWithPast;
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
 * One decode step (batch 1, one new token) of a Llama (8 layers, 512 hidden, 8 heads, vocab 32000; random weights)
 * at cache position {@code position}, with a StaticCache of {@code MAX_CACHE_LEN} slots (generate()'s
 * {@code cache_implementation="static"}) or with the growing legacy cache ({@code dynamic}, a DynamicCache's
 * behaviour: every step concatenates).
 *
 * <p>The static step attends over all slots (unwritten ones masked) and writes in place, so its time should not depend
 * on the position: target {@code static@1024} within 1.3x of {@code static@32}. The dynamic step grows with the
 * position and allocates a new cache each step. Each invocation repeats the step at the same position (the static
 * write overwrites the same slot; the dynamic step's new cache is dropped).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 6, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Dai.djl.offline=true", "-Xmx4g"})
public class StaticCacheDecodeBenchmark {

    static final int MAX_CACHE_LEN = 1056;

    @Param({"32", "1024"})
    public int position;

    @Param({"static", "dynamic"})
    public String cache;

    private LlamaForCausalLM model;
    private NDManager manager;
    private StaticCache staticCache;
    private List<NDArray[]> legacyPast;
    private NDArray token;
    private NDArray cachePosition;
    private NDArray positionIds;
    private NDArray mask;

    @Setup(Level.Trial)
    public void setUp() {
        Torch.ensureThreadReady();
        LlamaConfig config = PretrainedConfig.fromMap(Map.of("hidden_size", 512, "num_hidden_layers", 8,
                "num_attention_heads", 8, "intermediate_size", 1376, "vocab_size", 32000,
                "max_position_embeddings", 2048), LlamaConfig.class);
        model = PreTrainedModel.fromConfig(LlamaForCausalLM.CLASS, config, 0, Device.cpu());
        manager = NDManager.newBaseManager();
        NDArray prompt = manager.randomInteger(0, 32000, new Shape(1, position), DataType.INT64);
        NDArray promptMask = manager.ones(new Shape(1, position), DataType.INT64);
        NDArray promptPositions = manager.arange(0, position, 1, DataType.INT64);
        // fill the cache with `position` tokens
        if (cache.equals("static")) {
            staticCache = (StaticCache) model.newCache("static", 1, MAX_CACHE_LEN);
            try (NDScope scope = new NDScope()) {
                model.forward(ModelInputs.builder().inputIds(prompt).attentionMask(promptMask)
                        .set("cache_position", promptPositions).set("past_key_values", staticCache).useCache(true)
                        .build()).logits().close();
            }
        } else {
            CausalLMOutputWithPast out = model.forward(ModelInputs.builder().inputIds(prompt)
                    .attentionMask(promptMask).useCache(true).build());
            legacyPast = out.pastKeyValues();
            out.logits().close();
        }
        token = manager.create(new long[] {7}, new Shape(1, 1));
        cachePosition = manager.create(new long[] {position});
        positionIds = manager.create(new long[] {position}, new Shape(1, 1));
        mask = manager.ones(new Shape(1, position + 1), DataType.INT64);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (staticCache != null) {
            staticCache.close();
        }
        manager.close();
        model.close();
    }

    @Benchmark
    public float decodeStep() {
        Torch.ensureThreadReady();
        try (NDScope scope = new NDScope()) {
            ModelInputs.Builder in = ModelInputs.builder().inputIds(token).attentionMask(mask).positionIds(positionIds)
                    .set("cache_position", cachePosition).useCache(true);
            if (staticCache != null) {
                in.set("past_key_values", staticCache);
            } else {
                in.pastKeyValues(legacyPast);
            }
            CausalLMOutputWithPast out = model.forward(in.build());
            float v = out.logits().getFloat(0, 0, 0);
            out.logits().close();
            if (out.pastKeyValues() != null) {
                out.pastKeyValues().forEach(kv -> {
                    kv[0].close();
                    kv[1].close();
                });
            }
            return v;
        }
    }
}
