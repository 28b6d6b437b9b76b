package io.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class ProcessorsTest {
    private NDManager m;

    @BeforeEach
    void setUp() {
        Torch.ensureThreadReady();
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    private static void message(String expected, Executable e) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        assertEquals(expected, ex.getMessage());
    }

    @Test
    void badConstructorArgumentsUsePythonsMessages() {
        message("`top_k` has to be a strictly positive integer, but is 0", () -> new TopKLogitsWarper(0));
        message("`top_p` has to be a float > 0 and < 1, but is 1.5", () -> new TopPLogitsWarper(1.5));
        message("`min_tokens_to_keep` has to be a positive integer, but is 0",
                () -> new TopPLogitsWarper(0.5, Float.NEGATIVE_INFINITY, 0));
        message("`typical_p` has to be a float > 0 and < 1, but is 1.0", () -> new TypicalLogitsWarper(1.0));
        message("`epsilon_cutoff` has to be a float > 0 and < 1, but is 0.0", () -> new EpsilonLogitsWarper(0.0));
        message("`eta_cutoff` has to be a float > 0 and < 1, but is 1.0", () -> new EtaLogitsWarper(1.0));
        message("`penalty` has to be a strictly positive float, but is 0.0", () -> new RepetitionPenaltyLogitsProcessor(0));
        message("`min_length` has to be a non-negative integer, but is -1", () -> new MinLengthLogitsProcessor(-1, 2));
        message("`ngram_size` has to be a strictly positive integer, but is 0", () -> new NoRepeatNGramLogitsProcessor(0));
        message("`bad_words_ids` has to be a non-empty list, but is [].",
                () -> new NoBadWordsLogitsProcessor(List.of(), 2));
        message("Each list in `bad_words_ids` has to be a list of positive integers, but is [[1, -3]].",
                () -> new NoBadWordsLogitsProcessor(List.of(List.of(1, -3)), 2));
        message("`sequence_bias` has to be a non-empty dictionary, but is {}.",
                () -> new SequenceBiasLogitsProcessor(Map.of()));
        message("Require guidance scale >1 to use the classifier free guidance processor, got guidance scale 1.0.",
                () -> new ClassifierFreeGuidanceLogitsProcessor(1.0));
        message("`num_beams` should be an integer strictly larger than 1.",
                () -> new HammingDiversityLogitsProcessor(1.0, 1, 2));
        message("`beam_groups` has to be smaller or equal to `num_beams`.",
                () -> new HammingDiversityLogitsProcessor(1.0, 2, 3));
        message("Each list in `nested_token_ids` can't be a complete subset of another list, but is [[1, 2], [1]].",
                () -> new DisjunctiveConstraint(List.of(List.of(1, 2), List.of(1))));
        message("`token_ids` has to be a non-empty list, but is [].", () -> new PhrasalConstraint(List.of()));
    }

    @Test
    void badCallArguments() {
        NDArray ids = m.create(new long[] {1, 2, 3}, new Shape(1, 3));
        NDArray scores = m.zeros(new Shape(1, 8));
        message("The model vocabulary size is 8, but the following tokens were being biased: [9]",
                () -> new SequenceBiasLogitsProcessor(Map.of(List.of(9), 1.0)).process(ids, scores));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new PrefixConstrainedLogitsProcessor((b, s) -> List.of(), 1).process(ids, scores)).getMessage()
                .startsWith("`prefix_allowed_tokens_fn` returned an empty list for batch ID 0."));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new HammingDiversityLogitsProcessor(1.0, 2, 2).process(ids, scores)).getMessage()
                .startsWith("Make sure that all the required parameters"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> new ClassifierFreeGuidanceLogitsProcessor(2.0).process(ids, scores)).getMessage()
                .startsWith("Logits should have twice the batch size of the input ids"));
        assertThrows(IndexOutOfBoundsException.class, () -> new SuppressTokensLogitsProcessor(List.of(8)).process(ids, scores));
    }

    @Test
    void processorsDoNotModifyTheirInput() {
        NDArray ids = m.create(new long[] {1, 2, 1}, new Shape(1, 3));
        NDArray scores = m.create(new float[] {1, -2, 3, 4}, new Shape(1, 4));
        NDArray out = new RepetitionPenaltyLogitsProcessor(2.0).process(ids, scores);
        assertArrayEquals(new float[] {1, -2, 3, 4}, scores.toFloatArray());
        assertArrayEquals(new float[] {1, -4, 1.5f, 4}, out.toFloatArray());
        assertSame(scores, new MinLengthLogitsProcessor(2, 3).process(ids, scores), "inactive processors return the input");
    }

    @Test
    void tracksWhatPythonsInPlaceProcessorsLeaveInTheRawLogits() {
        NDArray ids = m.create(new long[] {1, 2}, new Shape(1, 2));
        NDArray scores = m.create(new float[] {1, 2, 3, 4}, new Shape(1, 4));
        LogitsProcessorList list = LogitsProcessorList.of(new MinLengthLogitsProcessor(5, 3),
                new TemperatureLogitsWarper(2.0), new SuppressTokensLogitsProcessor(List.of(0)));
        LogitsProcessorList.TrackedResult r = list.processTrackingPythonAliasing(ids, scores, Map.of());
        float ninf = Float.NEGATIVE_INFINITY;
        assertArrayEquals(new float[] {ninf, 1, 1.5f, ninf}, r.scores().toFloatArray());
        // Python: min-length wrote -inf into the logits; temperature made a new tensor, so later edits miss them.
        assertArrayEquals(new float[] {1, 2, 3, ninf}, r.pythonInputAfterCall().toFloatArray());
        assertArrayEquals(new float[] {1, 2, 3, 4}, scores.toFloatArray());
        LogitsProcessorList.TrackedResult none = LogitsProcessorList.of(new TemperatureLogitsWarper(2.0))
                .processTrackingPythonAliasing(ids, scores, Map.of());
        assertSame(scores, none.pythonInputAfterCall());
    }

    @Test
    void logitsProcessorOrderIsPythons() {
        GenerationConfig c = GenerationConfig.builder().repetitionPenalty(1.2).encoderRepetitionPenalty(1.1)
                .noRepeatNgramSize(2).encoderNoRepeatNgramSize(2).badWordsIds(List.of(List.of(3))).minLength(5)
                .minNewTokens(2).eosTokenId(2).forcedBosTokenId(0).forcedEosTokenId(2).removeInvalidValues(true)
                .exponentialDecayLengthPenalty(3, 1.1).suppressTokens(List.of(4)).beginSuppressTokens(List.of(5))
                .sequenceBias(Map.of(List.of(6), 1.0)).renormalizeLogits(true).numBeams(2).build();
        NDArray enc = m.create(new long[] {1, 2, 3}, new Shape(1, 3));
        LogitsProcessorList custom = LogitsProcessorList.of((i, s) -> s);
        LogitsProcessorList list = GenerationProcessors.getLogitsProcessor(c,
                GenerationProcessors.ProcessorInputs.of(3, enc).withLogitsProcessor(custom)
                        .withPrefixAllowedTokensFn((b, s) -> List.of(1)));
        List<String> names = new ArrayList<>();
        list.forEach(p -> names.add(p.getClass().getSimpleName()));
        assertEquals(List.of("SequenceBiasLogitsProcessor", "EncoderRepetitionPenaltyLogitsProcessor",
                "RepetitionPenaltyLogitsProcessor", "NoRepeatNGramLogitsProcessor", "EncoderNoRepeatNGramLogitsProcessor",
                "NoBadWordsLogitsProcessor", "MinLengthLogitsProcessor", "MinNewTokensLengthLogitsProcessor",
                "PrefixConstrainedLogitsProcessor", "ForcedBOSTokenLogitsProcessor", "ForcedEOSTokenLogitsProcessor",
                "InfNanRemoveLogitsProcessor", "ExponentialDecayLengthPenalty", "SuppressTokensLogitsProcessor",
                "SuppressTokensAtBeginLogitsProcessor"), names.subList(0, 15));
        assertSame(custom.get(0), list.get(15), "custom processors come after the built-in ones");
        assertEquals("LogitNormalization", names.get(16));

        LogitsProcessorList dup = LogitsProcessorList.of(new RepetitionPenaltyLogitsProcessor(1.5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GenerationProcessors
                .getLogitsProcessor(c, GenerationProcessors.ProcessorInputs.of(3, enc).withLogitsProcessor(dup)));
        assertTrue(e.getMessage().startsWith("A custom logits processor of type RepetitionPenaltyLogitsProcessor"));
    }

    @Test
    void warperOrderAndBeamMinTokens() {
        GenerationConfig c = GenerationConfig.builder().doSample(true).numBeams(3).temperature(0.7).topK(10).topP(0.9)
                .typicalP(0.8).epsilonCutoff(0.01).etaCutoff(0.01).eosTokenId(List.of(1, 2)).renormalizeLogits(true)
                .build();
        LogitsProcessorList w = GenerationProcessors.getLogitsWarper(c);
        List<String> names = new ArrayList<>();
        w.forEach(p -> names.add(p.getClass().getSimpleName()));
        assertEquals(List.of("TemperatureLogitsWarper", "TopKLogitsWarper", "TopPLogitsWarper", "TypicalLogitsWarper",
                "EpsilonLogitsWarper", "EtaLogitsWarper", "LogitNormalization"), names);
        // with 3 = len(eos list) + 1 tokens kept, top_k=1 keeps 3 under beam sampling
        GenerationConfig k1 = c.toBuilder().topK(1).topP(1.0).typicalP(1.0).epsilonCutoff(0.0).etaCutoff(0.0)
                .temperature(1.0).renormalizeLogits(false).build();
        NDArray scores = m.create(new float[] {5, 4, 3, 2, 1}, new Shape(1, 5));
        NDArray out = GenerationProcessors.getLogitsWarper(k1).process(null, scores);
        float ninf = Float.NEGATIVE_INFINITY;
        assertArrayEquals(new float[] {5, 4, 3, ninf, ninf}, out.toFloatArray());
    }

    @Test
    void stoppingCriteria() {
        GenerationConfig c = GenerationConfig.fromMap(Map.of("max_length", 4, "max_time", 100.0));
        StoppingCriteriaList list = GenerationProcessors.getStoppingCriteria(c, 512, null);
        assertEquals(2, list.size());
        assertEquals(4, list.maxLength());
        NDArray ids = m.create(new long[] {1, 2, 3, 9, 4, 5}, new Shape(2, 3));
        assertArrayEquals(new boolean[] {false, false}, list.isDone(ids, null));
        list.add(new EosTokenCriteria(List.of(3, 7)));
        assertArrayEquals(new boolean[] {true, false}, list.isDone(ids, null), "one verdict per row");
        NDArray verdict = list.call(ids, null);
        assertArrayEquals(new boolean[] {true, false}, verdict.toBooleanArray());
        assertEquals(4, StoppingCriteriaList.validateStoppingCriteria(new StoppingCriteriaList(), 4).maxLength());
        assertTrue(new MaxTimeCriteria(0.0, 0.0).isDone(ids, null)[1]);
    }

    @Test
    void stopStringsMatchOnlyAtTheEnd() {
        assertTrue(StopStringCriteria.matches(List.of("st", "op"), "stop"));
        assertTrue(StopStringCriteria.matches(List.of("stop"), "stop"));
        assertTrue(StopStringCriteria.matches(List.of("st", "opera"), "stop"));
        assertTrue(StopStringCriteria.matches(List.of("sto", "pper"), "stop"));
        assertTrue(StopStringCriteria.matches(List.of("las", "topper"), "stop"));
        assertTrue(StopStringCriteria.matches(List.of("s", "to", "pped"), "stop"));
        assertTrue(!StopStringCriteria.matches(List.of("stop", "at"), "stop"));
        assertTrue(!StopStringCriteria.matches(List.of("st", "op", "at"), "stop"));
        assertTrue(!StopStringCriteria.matches(List.of("st", "opera", "tion"), "stop"));
        String[] vocab = {"a", " Tex", "as", "b", "!"};
        StopStringCriteria c = new StopStringCriteria(t -> vocab[(int) t], List.of("Texas"));
        NDArray ids = m.create(new long[] {0, 1, 2, 0, 2, 4}, new Shape(2, 3));
        assertArrayEquals(new boolean[] {true, false}, c.isDone(ids, null));
    }

    /** Top-k sampling never draws outside the k best tokens (seeded sampler, 10,000 draws). */
    @Test
    void topKNeverEmitsOutsideTopK() {
        Random rng = new Random(1234);
        float[] logits = new float[50];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) rng.nextGaussian() * 2;
        }
        NDArray scores = m.create(logits, new Shape(1, 50));
        int k = 5;
        NDArray warped = new TopKLogitsWarper(k).process(null, scores);
        float[] sorted = logits.clone();
        java.util.Arrays.sort(sorted);
        float kth = sorted[sorted.length - k];
        int[] counts = new int[50];
        for (int i = 0; i < 10_000; i++) {
            int t = (int) TokenSampler.sample(warped, rng)[0];
            counts[t]++;
            assertTrue(logits[t] >= kth, "drew token " + t + " outside the top " + k);
        }
        int used = 0;
        for (int cnt : counts) {
            used += cnt > 0 ? 1 : 0;
        }
        assertEquals(k, used, "each of the top k tokens is drawn");
    }

    /** The kept set is the smallest prefix of the sorted distribution whose mass reaches top_p; draws stay in it. */
    @Test
    void topPKeepsTheMass() {
        Random rng = new Random(99);
        float[] logits = new float[40];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) rng.nextGaussian() * 1.5f;
        }
        NDArray scores = m.create(logits, new Shape(1, 40));
        double topP = 0.8;
        float[] warped = new TopPLogitsWarper(topP).process(null, scores).toFloatArray();
        double[] p = softmax(logits);
        double kept = 0;
        double minKept = 1;
        double maxRemoved = 0;
        for (int i = 0; i < p.length; i++) {
            if (warped[i] != Float.NEGATIVE_INFINITY) {
                kept += p[i];
                minKept = Math.min(minKept, p[i]);
            } else {
                maxRemoved = Math.max(maxRemoved, p[i]);
            }
        }
        assertTrue(kept >= topP - 1e-6, "kept mass " + kept);
        assertTrue(kept - minKept < topP + 1e-6, "dropping the least likely kept token would still reach top_p");
        assertTrue(maxRemoved <= minKept, "a removed token is more likely than a kept one");
        NDArray w = m.create(warped, new Shape(1, 40));
        for (int i = 0; i < 10_000; i++) {
            int t = (int) TokenSampler.sample(w, rng)[0];
            assertTrue(warped[t] != Float.NEGATIVE_INFINITY, "drew removed token " + t);
        }
    }

    @Test
    void unbatchedGuidanceUsesTheModelsUnconditionalBranch() {
        float[] uncondRow = {0.5f, 0.1f, -0.3f};
        List<long[]> seen = new ArrayList<>();
        UnbatchedClassifierFreeGuidanceLogitsProcessor.Model model = (ids, mask, useCache, past) -> {
            seen.add(ids.toLongArray());
            assertEquals(seen.size(), mask.getShape().get(1), "the mask covers the whole unconditional context");
            NDArray logits = m.create(uncondRow, new Shape(1, 1, 3));
            return new UnbatchedClassifierFreeGuidanceLogitsProcessor.Output(logits, "past" + seen.size());
        };
        UnbatchedClassifierFreeGuidanceLogitsProcessor p =
                new UnbatchedClassifierFreeGuidanceLogitsProcessor(1.5, model, null, null, true);
        NDArray ids = m.create(new long[] {4, 7}, new Shape(1, 2));
        NDArray scores = m.create(new float[] {1f, 2f, 0f}, new Shape(1, 3));
        float[] out = p.process(ids, scores).toFloatArray();
        float[] cond = scores.logSoftmax(-1).toFloatArray();
        float[] uncond = m.create(uncondRow).logSoftmax(0).toFloatArray();
        for (int i = 0; i < 3; i++) {
            assertEquals((cond[i] - uncond[i]) * 1.5f + uncond[i], out[i], 1e-6);
        }
        assertArrayEquals(new long[] {7}, seen.get(0), "first pass: the prompt's last token");
        p.process(m.create(new long[] {4, 7, 9}, new Shape(1, 3)), scores);
        assertArrayEquals(new long[] {9}, seen.get(1), "with the cache: only the new token");
    }

    @Test
    void topKTopPFiltering() {
        NDArray scores = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(1, 6));
        NDArray out = GenerationProcessors.topKTopPFiltering(scores, 3, 1.0);
        float ninf = Float.NEGATIVE_INFINITY;
        assertArrayEquals(new float[] {ninf, ninf, ninf, 4, 5, 6}, out.toFloatArray());
    }

    private static double[] softmax(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : x) {
            max = Math.max(max, v);
        }
        double sum = 0;
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = Math.exp(x[i] - max);
            sum += out[i];
        }
        for (int i = 0; i < x.length; i++) {
            out[i] /= sum;
        }
        return out;
    }
}
