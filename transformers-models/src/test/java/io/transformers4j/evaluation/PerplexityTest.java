package io.transformers4j.evaluation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.models.gpt2.GPT2Config;
import io.transformers4j.models.gpt2.GPT2LMHeadModel;
import io.transformers4j.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PerplexityTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    @Test
    void windowsScoreEachTokenOnceAndReportProgress() {
        GPT2Config config = PretrainedConfig.fromMap(Map.of("vocab_size", 40, "n_positions", 16, "n_embd", 16,
                "n_layer", 1, "n_head", 2, "initializer_range", 0.3), GPT2Config.class);
        try (GPT2LMHeadModel model = PreTrainedModel.fromConfig(GPT2LMHeadModel.CLASS, config, 4, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            long[] ids = new long[20];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = (i * 7 + 3) % 40;
            }
            NDArray input = m.create(ids, new Shape(1, 20));
            List<String> calls = new ArrayList<>();
            Perplexity.Result r = Perplexity.compute(model, input, 8, 5, (done, total) -> calls.add(done + "/" + total));

            assertArrayEquals(new long[] {0, 5, 10, 15}, r.windowBegins());
            assertArrayEquals(new long[] {8, 13, 18, 20}, r.windowEnds());
            assertArrayEquals(new long[] {8, 5, 5, 2}, r.trgLens());
            assertEquals(List.of("1/4", "2/4", "3/4", "4/4"), calls);

            // Window 1 = tokens 5..12 with the first 3 (already scored by window 0) labelled -100.
            NDArray w1 = input.get(new NDIndex(":, 5:13"));
            NDArray labels = w1.duplicate();
            labels.set(new NDIndex(":, :3"), -100);
            float loss = model.forward(ModelInputs.builder().inputIds(w1).labels(labels).build()).loss().getFloat();
            assertEquals(loss, r.nlls()[1], 1e-6f);

            double mean = 0;
            for (float nll : r.nlls()) {
                mean += nll / r.nlls().length;
            }
            assertEquals(Math.exp(mean), r.ppl(), 1e-4 * Math.exp(mean));

            assertThrows(IllegalArgumentException.class, () -> Perplexity.compute(model, input, 8, 0));
        }
    }
}
