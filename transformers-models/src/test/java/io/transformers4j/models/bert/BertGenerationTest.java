package io.transformers4j.models.bert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.torch.Torch;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** BertLMHeadModel as a decoder under generate(): the cached greedy loop against full recomputation. */
class BertGenerationTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    @Test
    void greedyWithCacheEqualsFullRecompute() {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", 40, "hidden_size", 32, "num_hidden_layers", 2,
                "num_attention_heads", 4, "intermediate_size", 37, "max_position_embeddings", 64, "is_decoder", true,
                "initializer_range", 0.5));
        try (BertLMHeadModel model = PreTrainedModel.fromConfig(BertLMHeadModel.CLASS, BertConfig.of(c), 5,
                Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {2, 9, 14, 3, 8, 21}, new Shape(2, 3));
            NDArray cur = ids;
            for (int s = 0; s < 5; s++) {
                NDArray logits = model.forward(ModelInputs.builder().inputIds(cur).useCache(false).build()).logits();
                cur = cur.concat(logits.get(new NDIndex(":, -1, :")).argMax(-1).reshape(-1, 1), 1);
            }
            GenerationConfig config = GenerationConfig.builder().maxNewTokens(5).build();
            try (GenerateOutput out = model.generate(ids, null, config)) {
                assertArrayEquals(cur.toLongArray(), out.sequences().toLongArray());
            }
        }
    }
}
