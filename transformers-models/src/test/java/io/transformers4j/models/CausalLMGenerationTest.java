package io.transformers4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.generation.GenerateArgs;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.generation.GenerationModel;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.models.llama.LlamaConfig;
import io.transformers4j.models.llama.LlamaForCausalLM;
import io.transformers4j.models.mistral.MistralConfig;
import io.transformers4j.models.mistral.MistralForCausalLM;
import io.transformers4j.models.persimmon.PersimmonConfig;
import io.transformers4j.models.persimmon.PersimmonForCausalLM;
import io.transformers4j.torch.Torch;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Llama family under generate(): greedy decoding with the cache gives the tokens of full recomputation (the whole
 * left-padded sequence every step, position ids from the mask); beam search with its cache reordering gives those of
 * beam search without a cache. Not for Llama: in 4.39 its use_cache=False path passes a one-entry cache_position for
 * the whole sequence (the causal mask then lets every query see every key), which this port reproduces.
 */
class CausalLMGenerationTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    private static Map<String, Object> tiny(Object... extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", 50, "hidden_size", 32, "intermediate_size", 40,
                "num_hidden_layers", 2, "num_attention_heads", 4, "max_position_embeddings", 64,
                "initializer_range", 0.5, "pad_token_id", 0));
        for (int i = 0; i < extra.length; i += 2) {
            c.put((String) extra[i], extra[i + 1]);
        }
        return c;
    }

    private static <C extends PretrainedConfig, M extends PreTrainedModel> void check(ModelClass<C, M> cls,
            Class<C> configClass, Map<String, Object> config, boolean beamWithoutCache) {
        try (M model = PreTrainedModel.fromConfig(cls, PretrainedConfig.fromMap(config, configClass), 11,
                Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {0, 0, 5, 9, 13, 21, 4, 8, 30, 2}, new Shape(2, 5));
            NDArray mask = m.create(new long[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, new Shape(2, 5));
            NDArray cur = ids;
            NDArray curMask = mask;
            for (int s = 0; s < 6; s++) {
                NDArray pos = CausalLMGeneration.positionIdsFromMask(curMask);
                NDArray logits = model.forward(ModelInputs.builder().inputIds(cur).attentionMask(curMask)
                        .positionIds(pos).useCache(false).build()).toMap().get("logits");
                cur = cur.concat(logits.get(new NDIndex(":, -1, :")).argMax(-1).reshape(-1, 1), 1);
                curMask = curMask.concat(m.ones(new Shape(2, 1), DataType.INT64), 1);
            }
            GenerationModel gm = (GenerationModel) model;
            // no EOS: every row generates all its tokens, as the reference loop does
            GenerationConfig noEos = GenerationConfig.builder().padTokenId(0).build();
            try (GenerateOutput out = gm.generate(GenerateArgs.builder().inputs(ids).attentionMask(mask)
                    .generationConfig(noEos).set("max_new_tokens", 6).build())) {
                assertArrayEquals(cur.toLongArray(), out.sequences().toLongArray(), cls.name());
            }
            if (!beamWithoutCache) {
                return;
            }
            // beam search with its cache reordering against beam search recomputing everything
            GenerateArgs.Builder beam = GenerateArgs.builder().inputs(ids).attentionMask(mask).generationConfig(noEos)
                    .set("max_new_tokens", 5).set("num_beams", 3).set("num_return_sequences", 2);
            try (GenerateOutput cached = gm.generate(beam.build());
                    GenerateOutput recomputed = gm.generate(beam.set("use_cache", false).build())) {
                assertArrayEquals(recomputed.sequences().toLongArray(), cached.sequences().toLongArray(), cls.name());
            }
        }
    }

    @Test
    void llama() {
        check(LlamaForCausalLM.CLASS, LlamaConfig.class, tiny("num_key_value_heads", 2), false);
    }

    @Test
    void mistral() {
        check(MistralForCausalLM.CLASS, MistralConfig.class, tiny("num_key_value_heads", 2, "sliding_window", 3), true);
    }

    @Test
    void persimmon() {
        check(PersimmonForCausalLM.CLASS, PersimmonConfig.class, tiny("partial_rotary_factor", 0.5), true);
    }
}
