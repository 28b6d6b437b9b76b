package io.transformers4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.generation.DynamicCache;
import io.transformers4j.generation.GenerateArgs;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.torch.Torch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** generate() over a tiny Llama: the static cache (cache_implementation="static") against the growing one. */
class LlamaGenerationTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    @Test
    void staticCacheGivesTheDynamicCachesTokensAndScores() {
        try (LlamaForCausalLM model = LlamaModelTest.tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {0, 0, 5, 9, 13, 21, 4, 8, 30, 2}, new Shape(2, 5)); // left-padded row
            NDArray mask = m.create(new long[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, new Shape(2, 5));
            GenerateArgs.Builder call = GenerateArgs.builder().inputs(ids).attentionMask(mask).set("max_new_tokens", 6)
                    .set("pad_token_id", 0).set("return_dict_in_generate", true).set("output_scores", true);
            try (GenerateOutput dynamic = model.generate(call.build());
                    GenerateOutput fixed = model.generate(call.set("cache_implementation", "static").build())) {
                assertArrayEquals(dynamic.sequences().toLongArray(), fixed.sequences().toLongArray());
                assertInstanceOf(List.class, dynamic.pastKeyValues());
                StaticCache cache = assertInstanceOf(StaticCache.class, fixed.pastKeyValues());
                assertEquals(11, cache.getMaxLength(), "max_cache_len = max_length");
                for (int i = 0; i < 6; i++) {
                    float[] a = dynamic.scores().get(i).toFloatArray();
                    float[] b = fixed.scores().get(i).toFloatArray();
                    for (int j = 0; j < a.length; j++) {
                        assertEquals(a[j], b[j], 1e-4 + 1e-4 * Math.abs(a[j]), "step " + i + " index " + j);
                    }
                }
            }
        }
    }

    @Test
    void aDynamicCacheObjectIsUpdatedInPlace() {
        try (LlamaForCausalLM model = LlamaModelTest.tinyLm(Map.of()); NDManager m = NDManager.newBaseManager();
                DynamicCache cache = new DynamicCache(m)) {
            NDArray ids = m.create(new long[] {3, 9, 14}, new Shape(1, 3));
            long[] legacy;
            try (GenerateOutput out = model.generate(GenerateArgs.builder().inputs(ids).set("max_new_tokens", 5)
                    .set("pad_token_id", 0).build())) {
                legacy = out.sequences().toLongArray();
            }
            try (GenerateOutput out = model.generate(GenerateArgs.builder().inputs(ids).set("max_new_tokens", 5)
                    .set("pad_token_id", 0).pastKeyValues(cache).build())) {
                assertArrayEquals(legacy, out.sequences().toLongArray());
            }
            // the caller's cache now holds the prompt and every generated token but the last
            assertEquals(7, cache.getSeqLength());
            assertTrue(cache.seenTokens() >= 7);
        }
    }
}
