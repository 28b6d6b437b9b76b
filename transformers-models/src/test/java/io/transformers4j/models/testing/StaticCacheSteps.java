package io.transformers4j.models.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.generation.Cache;
import io.transformers4j.generation.GenerationModel;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
import java.util.ArrayList;
import java.util.List;

/**
 * Greedy decoding on a static cache, step by step, recording everything a fused step could change: the fused
 * decoder-layer tests (Llama, Mistral) run it with the fused layer on and off and compare.
 */
public final class StaticCacheSteps {
    private StaticCacheSteps() {}

    /**
     * Per step the float32 logits of a prompt forward, then of {@code steps} greedy one-token steps on a static cache
     * of 24 positions; then the cache's key and value buffers of every layer, as float32.
     */
    public static List<float[]> decode(GenerationModel model, NDManager m, long[] prompt, int steps) {
        List<float[]> out = new ArrayList<>();
        try (StaticCache cache = (StaticCache) model.newCache("static", 1, 24)) {
            NDArray ids = m.create(prompt, new Shape(1, prompt.length));
            NDArray positions = m.arange(0, prompt.length, 1, DataType.INT64);
            for (int s = 0; s <= steps; s++) {
                try (NDScope scope = new NDScope()) {
                    NDArray logits = model.forwardForGeneration(ModelInputs.builder().inputIds(ids)
                            .set("past_key_values", cache).set("cache_position", positions).useCache(true).build())
                            .logits();
                    NDArray last = logits.get(":, -1, :");
                    out.add(last.toFloatArray());
                    ids = m.create(new long[] {last.argMax(-1).getLong()}, new Shape(1, 1));
                    positions = m.create(new long[] {prompt.length + s});
                    NDScope.unregister(ids, positions);
                }
            }
            for (int l = 0; l < cache.numLayers(); l++) {
                Cache.KeyValue kv = cache.get(l);
                out.add(TorchOps.toDType(kv.key(), DType.F32).toFloatArray());
                out.add(TorchOps.toDType(kv.value(), DType.F32).toFloatArray());
            }
            assertEquals(prompt.length + steps, cache.getSeqLength(0), "tokens the cache holds");
        }
        return out;
    }
}
