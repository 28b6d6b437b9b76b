package io.transformers4j.models.gpt2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.generation.GenerateArgs;
import io.transformers4j.generation.GenerateBeamDecoderOnlyOutput;
import io.transformers4j.generation.GenerateDecoderOnlyOutput;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.Generation;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.CausalLMOutputWithCrossAttentions;
import io.transformers4j.torch.Torch;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** generate() over a tiny random GPT-2: the cached strategies against plain forwards over the whole sequence. */
class GPT2GenerationTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    private static GenerationConfig greedy(int maxNewTokens) {
        return GenerationConfig.builder().maxNewTokens(maxNewTokens).padTokenId(GPT2ModelTest.PAD).build();
    }

    /**
     * Greedy decoding without a cache: the whole (left-padded) sequence every step, position ids from the mask, the
     * argmax of the last position.
     */
    private static long[][] referenceGreedy(GPT2LMHeadModel model, NDArray ids, NDArray mask, int steps) {
        NDManager m = ids.getManager();
        NDArray cur = ids;
        NDArray curMask = mask;
        for (int s = 0; s < steps; s++) {
            NDArray pos = curMask.cumSum(1).sub(1);
            NDArray isPad = curMask.eq(0).toType(DataType.INT64, false);
            pos = pos.mul(isPad.neg().add(1)).add(isPad);
            CausalLMOutputWithCrossAttentions out = model.forward(ModelInputs.builder().inputIds(cur)
                    .attentionMask(curMask).positionIds(pos).useCache(false).build());
            NDArray next = out.logits().get(new NDIndex(":, -1, :")).argMax(-1).reshape(-1, 1);
            cur = cur.concat(next, 1);
            curMask = curMask.concat(m.ones(new Shape(curMask.getShape().get(0), 1), DataType.INT64), 1);
        }
        long[] flat = cur.toLongArray();
        int b = (int) cur.getShape().get(0);
        int len = (int) cur.getShape().get(1);
        long[][] rows = new long[b][len];
        for (int i = 0; i < b; i++) {
            System.arraycopy(flat, i * len, rows[i], 0, len);
        }
        return rows;
    }

    @Test
    void greedyWithCacheEqualsFullRecompute() {
        try (GPT2LMHeadModel model = GPT2ModelTest.tinyLm(); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {0, 0, 5, 9, 13, 21, 4, 8, 30, 2}, new Shape(2, 5)); // row 0 left-padded
            NDArray mask = m.create(new long[] {0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, new Shape(2, 5));
            long[][] expected = referenceGreedy(model, ids, mask, 6);
            try (GenerateOutput out = model.generate(ids, mask, greedy(6))) {
                NDArray seq = out.sequences();
                assertEquals(new Shape(2, 11), seq.getShape());
                long[] flat = seq.toLongArray();
                for (int r = 0; r < 2; r++) {
                    long[] row = new long[11];
                    System.arraycopy(flat, r * 11, row, 0, 11);
                    assertArrayEquals(expected[r], row, "row " + r);
                }
                // return_dict_in_generate is false: only the sequences
                assertNull(out.scores());
                assertNull(out.pastKeyValues());
            }
        }
    }

    @Test
    void returnDictRecordsScoresLogitsHiddenStatesAttentionsAndCache() {
        try (GPT2LMHeadModel model = GPT2ModelTest.tinyLm(); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {3, 7, 11}, new Shape(1, 3));
            GenerationConfig config = greedy(4).toBuilder().returnDictInGenerate(true).outputScores(true)
                    .outputLogits(true).outputHiddenStates(true).outputAttentions(true).build();
            try (GenerateOutput out = model.generate(ids, null, config)) {
                GenerateDecoderOnlyOutput o = assertInstanceOf(GenerateDecoderOnlyOutput.class, out);
                assertEquals(4, o.scores().size());
                assertEquals(4, o.logits().size());
                assertEquals(new Shape(1, GPT2ModelTest.VOCAB), o.scores().get(0).getShape());
                // step 0 sees the prompt, later steps one token: hidden states per layer + embeddings
                assertEquals(4, o.hiddenStates().size());
                assertEquals(3, o.hiddenStates().get(0).size());
                assertEquals(new Shape(1, 3, 32), o.hiddenStates().get(0).get(0).getShape());
                assertEquals(new Shape(1, 1, 32), o.hiddenStates().get(1).get(0).getShape());
                assertEquals(new Shape(1, 4, 1, 5), o.attentions().get(2).get(0).getShape()); // 3 prompt + 2 generated keys
                // the returned cache covers every token but the last generated one
                java.util.List<?> past = (java.util.List<?>) o.pastKeyValues();
                assertEquals(2, past.size());
                assertEquals(6, ((NDArray[]) past.get(0))[0].getShape().get(2));
                // without processors, the scores are the raw logits
                assertTrue(o.scores().get(1).eq(o.logits().get(1)).all().getBoolean());
            }
        }
    }

    @Test
    void beamSearchReturnsSortedBeamsPerBatchEntry() {
        try (GPT2LMHeadModel model = GPT2ModelTest.tinyLm(); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {3, 7, 11, 2, 9, 4}, new Shape(2, 3));
            GenerationConfig config = GenerationConfig.builder().maxNewTokens(3).numBeams(3).numReturnSequences(3)
                    .padTokenId(GPT2ModelTest.PAD).returnDictInGenerate(true).outputScores(true).build();
            try (GenerateOutput out = model.generate(ids, null, config)) {
                GenerateBeamDecoderOnlyOutput o = assertInstanceOf(GenerateBeamDecoderOnlyOutput.class, out);
                assertEquals(new Shape(6, 6), o.sequences().getShape());
                assertEquals(new Shape(6, 6), o.beamIndices().getShape());
                float[] s = o.sequencesScores().toFloatArray();
                for (int b = 0; b < 2; b++) {
                    assertTrue(s[b * 3] >= s[b * 3 + 1] && s[b * 3 + 1] >= s[b * 3 + 2], "sorted beams of row " + b);
                }
                // the prompt rows follow their batch entry
                long[] seq = o.sequences().toLongArray();
                assertArrayEquals(new long[] {3, 7, 11}, java.util.Arrays.copyOfRange(seq, 0, 3));
                assertArrayEquals(new long[] {2, 9, 4}, java.util.Arrays.copyOfRange(seq, 18, 21));
            }
        }
    }

    @Test
    void generateLeavesNoNativeMemoryBehind() {
        try (GPT2LMHeadModel model = GPT2ModelTest.tinyLm(); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {3, 7, 11, 2, 9, 4}, new Shape(2, 3));
            int weights = model.manager().getManagedArrays().size();
            int before = m.getManagedArrays().size();
            for (GenerationConfig c : new GenerationConfig[] {greedy(5),
                    greedy(5).toBuilder().numBeams(3).returnDictInGenerate(true).outputScores(true).build(),
                    greedy(5).toBuilder().penaltyAlpha(0.6).topK(3).returnDictInGenerate(true).outputLogits(true)
                            .outputHiddenStates(true).build(),
                    greedy(5).toBuilder().numBeams(4).numBeamGroups(2).diversityPenalty(1.0).build()}) {
                try (GenerateOutput out = model.generate(ids, null, c)) {
                    assertEquals(ids.getManager(), out.sequences().getManager(), "output in the caller's manager");
                }
                assertEquals(before, m.getManagedArrays().size(), "arrays left in the caller's manager");
                assertEquals(weights, model.manager().getManagedArrays().size(), "arrays left with the weights");
            }
        }
    }

    @Test
    void samplingIsReproducibleForASeedAndColdTemperatureIsGreedy() {
        try (GPT2LMHeadModel model = GPT2ModelTest.tinyLm(); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {3, 7, 11}, new Shape(1, 3));
            GenerateArgs.Builder sample = GenerateArgs.builder().inputs(ids).generationConfig(greedy(8))
                    .set("do_sample", true).set("top_k", 0);
            long[] a;
            long[] b;
            try (GenerateOutput o1 = model.generate(sample.seed(11).build());
                    GenerateOutput o2 = model.generate(sample.seed(11).build())) {
                a = o1.sequences().toLongArray();
                b = o2.sequences().toLongArray();
            }
            assertArrayEquals(a, b);
            long[] cold;
            long[] greedyIds;
            try (GenerateOutput o = model.generate(sample.seed(5).set("temperature", 1e-4).build());
                    GenerateOutput g = model.generate(ids, null, greedy(8))) {
                cold = o.sequences().toLongArray();
                greedyIds = g.sequences().toLongArray();
            }
            assertArrayEquals(greedyIds, cold);
        }
    }

    @Test
    void generateOnTheBareModelNamesTheLmHead() {
        try (GPT2Model model = PreTrainedModel.fromConfig(GPT2Model.CLASS, GPT2ModelTest.tinyConfig(Map.of()), 3,
                Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {3, 7}, new Shape(1, 2));
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
                    () -> Generation.generate(model, GenerateArgs.builder().inputs(ids).build()));
            assertEquals("The current model class (GPT2Model) is not compatible with `.generate()`, as it doesn't "
                    + "have a language model head. Please use one of the following classes instead: "
                    + "{'GPT2LMHeadModel'}", e.getMessage());
        }
    }

    @Test
    void maxLengthNotAbovePromptIsRefusedWithPythonsMessage() {
        try (GPT2LMHeadModel model = GPT2ModelTest.tinyLm(); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {3, 7, 11, 4}, new Shape(1, 4));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.generate(
                    GenerateArgs.builder().inputs(ids).set("max_length", 4).set("pad_token_id", 0).build()));
            assertEquals("Input length of input_ids is 4, but `max_length` is set to 4. This can lead to unexpected "
                    + "behavior. You should consider increasing `max_length` or, better yet, setting "
                    + "`max_new_tokens`.", e.getMessage());
            IllegalArgumentException typo = assertThrows(IllegalArgumentException.class, () -> model.generate(
                    GenerateArgs.builder().inputs(ids).set("max_new_token", 4).build()));
            assertEquals("The following `model_kwargs` are not used by the model: ['max_new_token'] (note: typos in "
                    + "the generate arguments will also show up in this list)", typo.getMessage());
        }
    }
}
