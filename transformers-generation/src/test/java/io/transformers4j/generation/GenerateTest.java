package io.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.Torch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** generate()'s strategies over tiny host-computed models (TrigramModel, CopySeq2SeqModel). */
class GenerateTest {
    private static final int EOS = 5;
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

    /** next(i) with probability 0.9: 0->1, 1->2, 2->EOS, 3->4, 4->3, EOS->EOS. */
    private static TrigramModel chain() {
        int[] next = {1, 2, EOS, 4, 3, EOS};
        double[][] p = new double[6][6];
        for (int i = 0; i < 6; i++) {
            Arrays.fill(p[i], 0.02);
            p[i][next[i]] = 0.9;
        }
        return TrigramModel.bigram(p, GenerationConfig.builder().eosTokenId(EOS).padTokenId(0).build());
    }

    /** Greedy takes 0->1 (0.5) then at most 0.31; beam search finds 0->2 (0.4) -> 3 (0.9). */
    private static TrigramModel garden() {
        double[][] p = {
            {0.01, 0.5, 0.3, 0.1, 0.06, 0.03},
            {0.04, 0.31, 0.06, 0.3, 0.28, 0.01},
            {0.02, 0.02, 0.02, 0.9, 0.02, 0.02},
            {0.1, 0.2, 0.3, 0.1, 0.2, 0.1},
            {0.2, 0.2, 0.2, 0.2, 0.1, 0.1},
            {1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0}};
        return TrigramModel.bigram(p, GenerationConfig.builder().build());
    }

    private NDArray ids(long[][] rows) {
        long[] flat = new long[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
        }
        return m.create(flat, new Shape(rows.length, rows[0].length));
    }

    private static long[][] rows(NDArray a) {
        long[] flat = a.toLongArray();
        int b = (int) a.getShape().get(0);
        int n = flat.length / b;
        long[][] out = new long[b][n];
        for (int i = 0; i < b; i++) {
            System.arraycopy(flat, i * n, out[i], 0, n);
        }
        return out;
    }

    private static long[][] sequences(GenerationModel model, GenerateArgs args) {
        try (GenerateOutput out = model.generate(args)) {
            return rows(out.sequences());
        }
    }

    @Test
    void greedyPadsFinishedRowsAndStopsWhenAllAreDone() {
        TrigramModel model = chain();
        long[][] a = sequences(model, GenerateArgs.builder().inputs(ids(new long[][] {{1}, {3}}))
                .set("max_new_tokens", 4).build());
        assertArrayEquals(new long[] {1, 2, EOS, 0, 0}, a[0]);
        assertArrayEquals(new long[] {3, 4, 3, 4, 3}, a[1]);
        long[][] b = sequences(model, GenerateArgs.builder().inputs(ids(new long[][] {{1}, {2}}))
                .set("max_new_tokens", 4).build());
        assertArrayEquals(new long[][] {{1, 2, EOS}, {2, EOS, 0}}, b);
    }

    @Test
    void beamSearchFindsTheBetterPathAndScoresIt() {
        TrigramModel model = garden();
        NDArray prompt = ids(new long[][] {{0}});
        assertArrayEquals(new long[][] {{0, 1, 1}}, sequences(model, GenerateArgs.builder().inputs(prompt)
                .set("max_new_tokens", 2).build()));
        try (GenerateOutput out = model.generate(GenerateArgs.builder().inputs(prompt).set("max_new_tokens", 2)
                .set("num_beams", 2).set("num_return_sequences", 2).set("return_dict_in_generate", true)
                .set("output_scores", true).build())) {
            GenerateBeamDecoderOnlyOutput o = assertInstanceOf(GenerateBeamDecoderOnlyOutput.class, out);
            assertArrayEquals(new long[][] {{0, 2, 3}, {0, 1, 1}}, rows(o.sequences()));
            float[] s = o.sequencesScores().toFloatArray();
            // sum of log-probabilities / generated length ** length_penalty (1.0)
            assertEquals((Math.log(0.3) + Math.log(0.9)) / 2, s[0], 1e-5);
            assertEquals((Math.log(0.5) + Math.log(0.31)) / 2, s[1], 1e-5);
            // step one extends beam 0 twice; step two extends the 0->2 beam (now beam 1), then beam 0; -1 pads
            assertArrayEquals(new long[][] {{0, 1, -1}, {0, 0, -1}}, rows(o.beamIndices()));
            assertEquals(2, o.scores().size());
            assertEquals(new Shape(2, 6), o.scores().get(0).getShape());
        }
    }

    @Test
    void cacheAndNoCacheGiveTheSameSequences() {
        TrigramModel model = TrigramModel.random(9, 3, GenerationConfig.builder().padTokenId(0).build());
        NDArray prompt = ids(new long[][] {{1, 4, 7}, {2, 2, 8}});
        List<GenerateArgs.Builder> calls = List.of(
                GenerateArgs.builder().set("max_new_tokens", 5),
                GenerateArgs.builder().set("max_new_tokens", 5).set("num_beams", 3).set("num_return_sequences", 2),
                GenerateArgs.builder().set("max_new_tokens", 5).set("num_beams", 4).set("num_beam_groups", 2)
                        .set("diversity_penalty", 0.5),
                GenerateArgs.builder().set("max_new_tokens", 4).set("num_beams", 3).set("force_words_ids",
                        List.of(List.of(6))),
                GenerateArgs.builder().set("max_new_tokens", 5).set("do_sample", true).set("top_k", 4),
                GenerateArgs.builder().set("max_new_tokens", 5).set("num_beams", 2).set("do_sample", true));
        for (GenerateArgs.Builder call : calls) {
            call.inputs(prompt);
            long[][] cached = sequences(model, call.set("use_cache", true).seed(9).build());
            long[][] recomputed = sequences(model, call.set("use_cache", false).seed(9).build());
            assertArrayEquals(cached, recomputed, call.build().kwargs().toString());
        }
    }

    @Test
    void contrastiveSearchWithANegligiblePenaltyIsGreedy() {
        TrigramModel model = TrigramModel.random(9, 4, GenerationConfig.builder().padTokenId(0).build());
        NDArray prompt = ids(new long[][] {{1, 4, 7}, {2, 2, 8}});
        long[][] greedy = sequences(model, GenerateArgs.builder().inputs(prompt).set("max_new_tokens", 6).build());
        long[][] contrastive = sequences(model, GenerateArgs.builder().inputs(prompt).set("max_new_tokens", 6)
                .set("penalty_alpha", 1e-6).set("top_k", 3).build());
        assertArrayEquals(greedy, contrastive);
        // with a real penalty the hidden-state similarity changes the picks somewhere
        long[][] penalised = sequences(model, GenerateArgs.builder().inputs(prompt).set("max_new_tokens", 6)
                .set("penalty_alpha", 0.9).set("top_k", 4).build());
        assertTrue(!Arrays.deepEquals(greedy, penalised), "alpha 0.9 should re-rank some candidates");
    }

    @Test
    void samplingIsSeededAndFollowsTheDistribution() {
        double[][] p = new double[6][];
        for (int i = 0; i < 6; i++) {
            p[i] = new double[] {0.05, 0.1, 0.15, 0.2, 0.2, 0.3};
        }
        TrigramModel model = TrigramModel.bigram(p, GenerationConfig.builder().build());
        int n = 2000;
        long[][] prompt = new long[n][];
        for (int i = 0; i < n; i++) {
            prompt[i] = new long[] {0};
        }
        GenerateArgs.Builder call = GenerateArgs.builder().inputs(ids(prompt)).set("max_new_tokens", 1)
                .set("do_sample", true).set("top_k", 0);
        long[][] first = sequences(model, call.seed(123).build());
        long[][] again = sequences(model, call.seed(123).build());
        assertArrayEquals(first, again);
        int[] counts = new int[6];
        for (long[] row : first) {
            counts[(int) row[1]]++;
        }
        for (int j = 0; j < 6; j++) {
            double freq = counts[j] / (double) n;
            // 4 standard deviations of a binomial frequency
            assertEquals(p[0][j], freq, 4 * Math.sqrt(p[0][j] * (1 - p[0][j]) / n), "token " + j);
        }
        // top_k=2 keeps only the two likeliest tokens
        long[][] topK = sequences(model, call.set("top_k", 2).seed(5).build());
        for (long[] row : topK) {
            assertTrue(row[1] == 4 || row[1] == 5 || row[1] == 3, "token " + row[1]);
        }
    }

    @Test
    void coldSamplingIsGreedy() {
        TrigramModel model = TrigramModel.random(9, 6, GenerationConfig.builder().padTokenId(0).build());
        NDArray prompt = ids(new long[][] {{1, 4, 7}, {2, 2, 8}});
        long[][] greedy = sequences(model, GenerateArgs.builder().inputs(prompt).set("max_new_tokens", 8).build());
        for (long seed = 0; seed < 5; seed++) {
            assertArrayEquals(greedy, sequences(model, GenerateArgs.builder().inputs(prompt).set("max_new_tokens", 8)
                    .set("do_sample", true).set("top_k", 0).set("temperature", 1e-3).seed(seed).build()));
        }
    }

    @Test
    void groupBeamSearchPenalisesTokensOfEarlierGroups() {
        TrigramModel model = garden();
        try (GenerateOutput out = model.generate(GenerateArgs.builder().inputs(ids(new long[][] {{0}}))
                .set("max_new_tokens", 1).set("num_beams", 4).set("num_beam_groups", 2).set("diversity_penalty", 100.0)
                .set("num_return_sequences", 4).set("return_dict_in_generate", true).set("output_scores", true)
                .build())) {
            GenerateBeamDecoderOnlyOutput o = assertInstanceOf(GenerateBeamDecoderOnlyOutput.class, out);
            assertArrayEquals(new long[][] {{0, 1}, {0, 2}, {0, 3}, {0, 4}}, rows(o.sequences()));
            float[] s0 = o.scores().get(0).toFloatArray(); // (4 beams, 6)
            // group 0 (rows 0-1) is not penalised; group 1 (rows 2-3) pays 100 for tokens 1 and 2 group 0 took
            assertEquals(Math.log(0.5), s0[1], 1e-5);
            assertEquals(Math.log(0.5) - 100, s0[2 * 6 + 1], 1e-3);
            assertEquals(Math.log(0.3) - 100, s0[3 * 6 + 2], 1e-3);
            assertEquals(Math.log(0.1), s0[2 * 6 + 3], 1e-5);
        }
    }

    @Test
    void constrainedBeamSearchIncludesTheForcedWord() {
        TrigramModel model = garden();
        long[][] out = sequences(model, GenerateArgs.builder().inputs(ids(new long[][] {{0}, {3}}))
                .set("max_new_tokens", 3).set("num_beams", 3)
                .set("force_words_ids", List.of(List.of(4, 4))).build());
        for (long[] row : out) {
            boolean found = false;
            for (int i = 0; i + 1 < row.length; i++) {
                found |= row[i] == 4 && row[i + 1] == 4;
            }
            assertTrue(found, Arrays.toString(row));
        }
    }

    @Test
    void assistedDecodingEqualsGreedyWhateverTheAssistant() {
        TrigramModel model = TrigramModel.random(9, 7, GenerationConfig.builder().padTokenId(0).build());
        TrigramModel other = TrigramModel.random(9, 8, GenerationConfig.builder().padTokenId(0).build());
        TrigramModel same = new TrigramModel(model.a, model.b, model.e, GenerationConfig.builder().build());
        NDArray prompt = ids(new long[][] {{1, 4, 7, 1, 4}});
        long[][] greedy = sequences(model, GenerateArgs.builder().inputs(prompt).set("max_new_tokens", 12).build());
        for (TrigramModel assistant : List.of(other, same)) {
            long[][] assisted = sequences(model, GenerateArgs.builder().inputs(prompt).set("max_new_tokens", 12)
                    .assistantModel(assistant).build());
            assertArrayEquals(greedy, assisted);
        }
        // an assistant that is always right earns more draft tokens per round (heuristic schedule: +2 per round)
        assertTrue(same.generationConfig().numAssistantTokens() > 5, "" + same.generationConfig().numAssistantTokens());
        int calls = model.forwardCalls;
        long[][] lookup = sequences(model, GenerateArgs.builder().inputs(prompt).set("max_new_tokens", 12)
                .set("prompt_lookup_num_tokens", 3).build());
        assertArrayEquals(greedy, lookup);
        assertTrue(model.forwardCalls - calls <= 12);
    }

    @Test
    void encoderDecoderCopiesAndEncodesOnce() {
        CopySeq2SeqModel model = new CopySeq2SeqModel(6, EOS, GenerationConfig.builder().eosTokenId(EOS)
                .padTokenId(0).decoderStartTokenId(0).build());
        NDArray source = ids(new long[][] {{3, 1, 4}, {2, 4, 1}});
        assertArrayEquals(new long[][] {{0, 3, 1, 4, EOS}, {0, 2, 4, 1, EOS}}, sequences(model,
                GenerateArgs.builder().inputs(source).set("max_new_tokens", 6).build()));
        assertEquals(1, model.encodeCalls);
        try (GenerateOutput out = model.generate(GenerateArgs.builder().inputs(source).set("max_new_tokens", 6)
                .set("num_beams", 3).set("return_dict_in_generate", true).set("output_scores", true).build())) {
            assertInstanceOf(GenerateBeamEncoderDecoderOutput.class, out);
            assertArrayEquals(new long[][] {{0, 3, 1, 4, EOS}, {0, 2, 4, 1, EOS}}, rows(out.sequences()));
        }
        assertEquals(2, model.encodeCalls);
        // decoder_input_ids that do not start with decoder_start_token_id get it prepended
        assertArrayEquals(new long[][] {{0, 3, 1, 4, EOS}, {0, 2, 4, 1, EOS}}, sequences(model, GenerateArgs.builder()
                .inputs(source).set("decoder_input_ids", ids(new long[][] {{3}, {2}})).set("max_new_tokens", 6).build()));
        CopySeq2SeqModel noStart = new CopySeq2SeqModel(6, EOS, GenerationConfig.builder().build());
        assertEquals("`decoder_start_token_id` or `bos_token_id` has to be defined for encoder-decoder generation.",
                assertThrows(IllegalArgumentException.class, () -> noStart.generate(source)).getMessage());
    }

    @Test
    void streamerGetsThePromptThenEachTokenThenEnd() {
        List<String> events = new ArrayList<>();
        BaseStreamer streamer = new BaseStreamer() {
            @Override
            public void put(long[] tokenIds) {
                events.add(Arrays.toString(tokenIds));
            }

            @Override
            public void end() {
                events.add("end");
            }
        };
        sequences(chain(), GenerateArgs.builder().inputs(ids(new long[][] {{0, 1}})).set("max_new_tokens", 4)
                .streamer(streamer).build());
        assertEquals(List.of("[0, 1]", "[2]", "[5]", "end"), events);
        assertEquals("`streamer` cannot be used with beam search (yet!). Make sure that `num_beams` is set to 1.",
                assertThrows(IllegalArgumentException.class, () -> chain().generate(GenerateArgs.builder()
                        .inputs(ids(new long[][] {{0}})).set("num_beams", 2).streamer(streamer).build()))
                        .getMessage());
    }

    @Test
    void customStoppingCriteriaAndProcessors() {
        TrigramModel model = chain();
        StoppingCriteria twoNew = (inputIds, scores) -> StoppingCriteria.full(inputIds, inputIds.getShape().get(1) >= 5);
        assertArrayEquals(new long[][] {{3, 4, 3, 4, 3}}, sequences(model, GenerateArgs.builder()
                .inputs(ids(new long[][] {{3, 4, 3}})).set("max_new_tokens", 10)
                .stoppingCriteria(StoppingCriteriaList.of(twoNew)).build()));
        // a custom processor runs after the config's: here it bans token 4
        LogitsProcessor ban4 = (inputIds, scores) -> GenUtil.fillColumns(scores, new int[] {4},
                Float.NEGATIVE_INFINITY);
        long[][] banned = sequences(model, GenerateArgs.builder().inputs(ids(new long[][] {{3}}))
                .set("max_new_tokens", 2).logitsProcessor(LogitsProcessorList.of(ban4)).build());
        assertTrue(banned[0][1] != 4);
        // one of a type the config already made is refused with Python's message
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> model.generate(
                GenerateArgs.builder().inputs(ids(new long[][] {{3}})).set("max_new_tokens", 2)
                        .set("repetition_penalty", 1.5)
                        .logitsProcessor(LogitsProcessorList.of(new RepetitionPenaltyLogitsProcessor(2.0))).build()));
        assertTrue(e.getMessage().startsWith("A custom logits processor of type RepetitionPenaltyLogitsProcessor"),
                e.getMessage());
    }

    @Test
    void greedyRecordsRawLogitsAsPythonsInPlaceProcessorsLeaveThem() {
        TrigramModel model = chain();
        GenerateArgs.Builder call = GenerateArgs.builder().inputs(ids(new long[][] {{1}})).set("max_new_tokens", 3)
                .set("min_new_tokens", 2).set("return_dict_in_generate", true).set("output_scores", true)
                .set("output_logits", true);
        try (GenerateOutput greedy = model.generate(call.build())) {
            // MinNewTokensLengthLogitsProcessor writes -inf into Python's logits tensor itself: 4.39 records that
            assertEquals(Float.NEGATIVE_INFINITY, greedy.logits().get(0).toFloatArray()[EOS]);
            assertEquals(Float.NEGATIVE_INFINITY, greedy.scores().get(0).toFloatArray()[EOS]);
            assertEquals(Float.NEGATIVE_INFINITY, greedy.logits().get(1).toFloatArray()[EOS]);
            // from step 2 on the processor leaves them alone (the banned EOS made step 1 pick token 0)
            assertEquals((float) Math.log(0.02), greedy.logits().get(2).toFloatArray()[EOS], 1e-6);
        }
        try (GenerateOutput beam = model.generate(call.set("num_beams", 2).build())) {
            // beam search processes log_softmax(logits), a new tensor: the raw logits stay raw
            assertEquals((float) Math.log(0.02), beam.logits().get(0).toFloatArray()[EOS], 1e-6);
            assertEquals(Float.NEGATIVE_INFINITY, beam.scores().get(0).toFloatArray()[EOS]);
        }
    }

    @Test
    void nothingIsLeftInTheCallersManager() {
        TrigramModel model = TrigramModel.random(9, 3, GenerationConfig.builder().padTokenId(0).build());
        NDArray prompt = ids(new long[][] {{1, 4, 7}, {2, 2, 8}});
        NDArray mask = m.ones(new Shape(2, 3), ai.djl.ndarray.types.DataType.INT64);
        int before = m.getManagedArrays().size();
        for (GenerateArgs.Builder call : List.of(GenerateArgs.builder().set("num_beams", 3),
                GenerateArgs.builder().set("penalty_alpha", 0.5).set("top_k", 3),
                GenerateArgs.builder().set("num_beams", 2).set("num_beam_groups", 2).set("diversity_penalty", 1.0))) {
            try (GenerateOutput out = model.generate(call.inputs(prompt).attentionMask(mask).set("max_new_tokens", 4)
                    .set("return_dict_in_generate", true).set("output_scores", true).set("output_logits", true)
                    .set("output_hidden_states", true).set("output_attentions", true).build())) {
                assertEquals(4, out.scores().size());
            }
            assertEquals(before, m.getManagedArrays().size(), call.build().kwargs().toString());
        }
        try (GenerateOutput out = model.generate(prompt)) {
            assertNull(out.scores());
        }
        assertEquals(before, m.getManagedArrays().size());
    }
}
