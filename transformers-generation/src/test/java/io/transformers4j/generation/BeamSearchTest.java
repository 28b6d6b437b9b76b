package io.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.Torch;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BeamSearchTest {
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

    @Test
    void constructorMessages() {
        assertEquals("`num_beams` has to be an integer strictly greater than 1, but is 1. For `num_beams` == 1, one "
                + "should make use of `greedy_search` instead.", assertThrows(IllegalArgumentException.class,
                        () -> new BeamSearchScorer(1, 1)).getMessage());
        assertEquals("`num_beam_groups` has to be an integer smaller or equal than `num_beams` and `num_beams` has to be "
                + "divisible by `num_beam_groups`, but is 2 with `num_beams` being 3.", assertThrows(
                        IllegalArgumentException.class, () -> new BeamSearchScorer(1, 3, 1.0, EarlyStopping.FALSE, 1, 2,
                                null)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new BeamHypotheses(2, 1.0, EarlyStopping.NEVER,
                null)).getMessage().startsWith("When `do_early_stopping` is set to a string, `max_length` must be defined"));
    }

    @Test
    void hypothesesKeepTheBestAndApplyTheLengthPenalty() {
        BeamHypotheses h = new BeamHypotheses(2, 2.0, EarlyStopping.FALSE, null);
        h.add(new long[] {1, 2}, -4.0, null, 2);   // -1.0
        h.add(new long[] {1, 3}, -8.0, null, 2);   // -2.0
        h.add(new long[] {1, 4, 5}, -4.5, null, 3); // -0.5 evicts -2.0
        assertEquals(2, h.size());
        assertEquals(-1.0, h.worstScore());
        // early_stopping False: best running -2 at length 2 -> -0.5 ... worst -1 >= -0.5 is false
        assertFalse(h.isDone(-2.0, 2, 0));
        assertTrue(h.isDone(-9.0, 3, 0));
        BeamHypotheses never = new BeamHypotheses(1, 1.0, EarlyStopping.NEVER, 10);
        never.add(new long[] {7}, -3.0, null, 3);   // -1.0
        assertFalse(never.isDone(-9.0, 4, 0), "never: -9 / (10 - 0) = -0.9 could still win");
        assertTrue(never.isDone(-20.0, 4, 0));
        BeamHypotheses eager = new BeamHypotheses(1, 1.0, EarlyStopping.TRUE, null);
        eager.add(new long[] {7}, -3.0, null, 3);
        assertTrue(eager.isDone(0.0, 4, 0), "early_stopping=True stops once num_beams hypotheses exist");
    }

    /** Two steps of beam search over a toy batch, then finalize: EOS handling, padding, scores, beam indices. */
    @Test
    void processAndFinalize() {
        int eos = 9;
        int pad = 0;
        BeamSearchScorer scorer = new BeamSearchScorer(1, 2, 1.0, EarlyStopping.FALSE, 2, 1, 10);
        NDArray ids = m.create(new long[] {5, 5}, new Shape(2, 1));
        // candidates sorted by score: token 9 (EOS) from beam 0 ranks first
        NDArray scores = m.create(new float[] {-0.5f, -1.0f, -1.5f, -2.0f}, new Shape(1, 4));
        NDArray tokens = m.create(new long[] {9, 3, 4, 6}, new Shape(1, 4));
        NDArray indices = m.create(new long[] {0, 0, 1, 1}, new Shape(1, 4));
        long[][] beamIndices = {{}, {}};
        BeamScorer.StepOutput out = scorer.process(ids, scores, tokens, indices, pad, List.of(eos), beamIndices, 0, 1);
        assertArrayEquals(new float[] {-1.0f, -1.5f}, out.nextBeamScores().toFloatArray());
        assertArrayEquals(new long[] {3, 4}, out.nextBeamTokens().toLongArray());
        assertArrayEquals(new long[] {0, 1}, out.nextBeamIndices().toLongArray());
        assertEquals(1, scorer.beamHyps().get(0).size());
        assertFalse(scorer.isDone());

        NDArray ids2 = m.create(new long[] {5, 3, 5, 4}, new Shape(2, 2));
        BeamScorer.FinalOutput fin = scorer.finalize(ids2, m.create(new float[] {-1.2f, -3.0f}), null, null, 10, pad,
                List.of(eos), new long[][] {{0}, {1}}, 1);
        // hypotheses: [5] -0.5/1 = -0.5 (finished), [5,3] -1.2/1 = -1.2, [5,4] -3.0/1 = -3.0 -> keep 2 best
        assertArrayEquals(new long[] {5, 9, 0, 5, 3, 9}, fin.sequences().toLongArray());
        assertEquals(new Shape(2, 3), fin.sequences().getShape());
        assertArrayEquals(new float[] {-0.5f, -1.2f}, fin.sequenceScores().toFloatArray());
        assertArrayEquals(new long[] {0, -1, -1, 0, -1, -1}, fin.beamIndices().toLongArray());
    }

    @Test
    void tooManyEosCandidates() {
        BeamSearchScorer scorer = new BeamSearchScorer(1, 2);
        NDArray ids = m.create(new long[] {5, 5}, new Shape(2, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> scorer.process(ids,
                m.create(new float[] {-1, -2, -3, -4}, new Shape(1, 4)), m.create(new long[] {9, 9, 9, 3}, new Shape(1, 4)),
                m.create(new long[] {0, 1, 0, 1}, new Shape(1, 4)), 0, List.of(9)));
        assertTrue(e.getMessage().startsWith("At most 2 tokens in [9, 9, 9, 3] can be equal to `eos_token_id: [9]`"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> scorer.process(m.create(new long[] {1, 2, 3, 4}, new Shape(4, 1)),
                m.zeros(new Shape(1, 4)), m.zeros(new Shape(1, 4)), m.zeros(new Shape(1, 4)), 0, List.of(9)));
    }

    @Test
    void constrainedScorerPromotesConstraintTokens() {
        List<Constraint> constraints = List.of(new PhrasalConstraint(List.of(7, 8)));
        ConstrainedBeamSearchScorer scorer = new ConstrainedBeamSearchScorer(1, 2, constraints);
        NDArray ids = m.create(new long[] {1, 2}, new Shape(2, 1));
        float[] vocab = new float[2 * 10];
        java.util.Arrays.fill(vocab, -5f);
        vocab[7] = -4f;
        NDArray all = m.create(vocab, new Shape(2, 10));
        BeamScorer.StepOutput out = scorer.process(ids, m.create(new float[] {-1, -2, -3, -4}, new Shape(1, 4)),
                m.create(new long[] {3, 4, 5, 6}, new Shape(1, 4)), m.create(new long[] {0, 1, 0, 1}, new Shape(1, 4)),
                all, 0, List.of(9));
        // the constraint's first token (bank 1) outranks the unconstrained top-k candidates (bank 0)
        assertEquals(7, out.nextBeamTokens().toLongArray()[0]);
        assertTrue(scorer.checkCompletesConstraints(new long[] {1, 7, 8}));
        assertFalse(scorer.checkCompletesConstraints(new long[] {1, 7, 3, 8}));
    }

    @Test
    void constraintsFromForceWordsIds() {
        GenerationConfig c = GenerationConfig.fromMap(Map.of("num_beams", 2,
                "force_words_ids", List.of(List.of(3, 4), List.of(List.of(5), List.of(6, 7)))));
        List<Constraint> cons = GenerationProcessors.finalConstraints(c);
        assertEquals(2, cons.size());
        assertTrue(cons.get(0) instanceof PhrasalConstraint);
        assertTrue(cons.get(1) instanceof DisjunctiveConstraint);
        GenerationConfig bad = GenerationConfig.fromMap(Map.of("num_beams", 2, "force_words_ids", List.of(List.of(-1))));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GenerationProcessors.finalConstraints(bad))
                .getMessage().startsWith("`force_words_ids` has to either be a `List[List[List[int]]]` or "));
    }

    @Test
    void statefulDisjunctiveCopiesShareProgressLikePython() {
        DisjunctiveConstraint d = new DisjunctiveConstraint(List.of(List.of(4, 5, 6), List.of(4, 7)));
        d.update(4);
        DisjunctiveConstraint copy = d.copy(true);
        copy.update(5);
        assertEquals(List.of(6), d.advance(), "the original sees the copy's progress (shared list)");
        copy.update(3); // reset gives the copy a fresh list
        copy.update(4);
        assertEquals(List.of(6), d.advance());
        PhrasalConstraint p = new PhrasalConstraint(List.of(5, 9, 2));
        p.update(5);
        p.update(1);
        assertEquals(List.of(9), p.advance(), "Python resets fulfilled_idx to 0, not -1");
    }
}
