package io.transformers4j.models.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.generation.GenerateArgs;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.GenerationModel;
import io.transformers4j.generation.GenerationStepOutput;
import io.transformers4j.generation.ModelKwargs;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.outputs.CausalLMOutputWithPast;
import io.transformers4j.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code num_logits_to_keep} (Python's causal LMs from 4.45): the LM head on the last N positions gives those
 * positions' logits unchanged, and generate() asks for 1 so a prompt pass never holds (batch, prompt, vocab) logits.
 */
class NumLogitsToKeepTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    @Test
    void keptPositionsHaveTheFullForwardsLogits() {
        try (LlamaForCausalLM model = LlamaModelTest.tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {0, 0, 5, 9, 13, 21, 4, 8, 30, 2}, new Shape(2, 5));
            NDArray mask = m.create(new long[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, new Shape(2, 5));
            CausalLMOutputWithPast full = model.forward(ids, mask);
            for (int keep : new int[] {1, 3}) {
                CausalLMOutputWithPast part = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                        .set("num_logits_to_keep", keep).build());
                assertEquals(new Shape(2, keep, full.logits().getShape().get(2)), part.logits().getShape());
                // to float rounding: the LM head's matmul may split fewer rows into other blocks
                assertArrayEquals(full.logits().get(new NDIndex(":, {}:, :", 5 - keep)).toFloatArray(),
                        part.logits().toFloatArray(), 1e-5f, "num_logits_to_keep=" + keep);
            }
            CausalLMOutputWithPast all = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                    .set("num_logits_to_keep", 0).build());
            assertEquals(full.logits().getShape(), all.logits().getShape(), "0 keeps every position");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.forward(
                    ModelInputs.builder().inputIds(ids).set("num_logits_to_keep", -1).build()));
            assertTrue(e.getMessage().contains("num_logits_to_keep"), e.getMessage());
        }
    }

    @Test
    void generateComputesOnlyTheLastLogitsOfThePrompt() {
        try (LlamaForCausalLM model = LlamaModelTest.tinyLm(Map.of()); NDManager m = NDManager.newBaseManager()) {
            List<Long> logitRows = new ArrayList<>();
            GenerationModel spy = new ForwardingModel(model, logitRows);
            NDArray ids = m.create(new long[] {3, 9, 14, 7, 11, 2}, new Shape(1, 6));
            GenerateArgs args = GenerateArgs.builder().inputs(ids).set("max_new_tokens", 4).set("pad_token_id", 0)
                    .build();
            try (GenerateOutput viaSpy = spy.generate(args); GenerateOutput direct = model.generate(args)) {
                assertArrayEquals(direct.sequences().toLongArray(), viaSpy.sequences().toLongArray());
            }
            assertEquals(List.of(1L, 1L, 1L, 1L), logitRows, "one logits row per step, the prompt's included");
        }
    }

    /** The model as a GenerationModel that records the sequence length of each step's logits. */
    private record ForwardingModel(LlamaForCausalLM model, List<Long> logitRows) implements GenerationModel {
        @Override
        public io.transformers4j.generation.GenerationConfig generationConfig() {
            return model.generationConfig();
        }

        @Override
        public void setGenerationConfig(io.transformers4j.generation.GenerationConfig config) {
            model.setGenerationConfig(config);
        }

        @Override
        public boolean isEncoderDecoder() {
            return false;
        }

        @Override
        public Integer maxPositionEmbeddings() {
            return model.maxPositionEmbeddings();
        }

        @Override
        public ModelInputs prepareInputsForGeneration(NDArray inputIds, ModelKwargs kwargs) {
            return model.prepareInputsForGeneration(inputIds, kwargs);
        }

        @Override
        public GenerationStepOutput forwardForGeneration(ModelInputs inputs) {
            GenerationStepOutput out = model.forwardForGeneration(inputs);
            logitRows.add(out.logits().getShape().get(1));
            return out;
        }

        @Override
        public boolean acceptsNumLogitsToKeep() {
            return model.acceptsNumLogitsToKeep();
        }

        @Override
        public boolean supportsCacheClass() {
            return model.supportsCacheClass();
        }

        @Override
        public java.util.Set<String> modelKwargNames() {
            return model.modelKwargNames();
        }

        @Override
        public Object newCache(String cacheImplementation, int maxBatchSize, int maxCacheLen) {
            return model.newCache(cacheImplementation, maxBatchSize, maxCacheLen);
        }
    }
}
