package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Constrained beam search. Port of Python's {@code ConstrainedBeamSearchScorer}: finished hypotheses only count when
 * they fulfil every constraint, and each step mixes the top-k candidates with hypotheses that advance a constraint,
 * ranked by "bank" (constraint progress) and score.
 */
public final class ConstrainedBeamSearchScorer implements BeamScorer {
    private final int numBeams;
    private final int numBeamHypsToKeep;
    private final int numBeamGroups;
    private final int groupSize;
    private final List<Constraint> constraints;
    private final List<BeamHypotheses> beamHyps = new ArrayList<>();
    private final boolean[] done;

    public ConstrainedBeamSearchScorer(int batchSize, int numBeams, List<Constraint> constraints) {
        this(batchSize, numBeams, constraints, 1.0, EarlyStopping.FALSE, 1, 1, null);
    }

    public ConstrainedBeamSearchScorer(int batchSize, int numBeams, List<Constraint> constraints, double lengthPenalty,
            EarlyStopping doEarlyStopping, int numBeamHypsToKeep, int numBeamGroups, Integer maxLength) {
        this.numBeams = numBeams;
        this.numBeamHypsToKeep = numBeamHypsToKeep;
        this.numBeamGroups = numBeamGroups;
        this.groupSize = numBeamGroups > 0 ? numBeams / numBeamGroups : numBeams;
        this.constraints = List.copyOf(constraints);
        for (int i = 0; i < batchSize; i++) {
            beamHyps.add(new BeamHypotheses(numBeams, lengthPenalty, doEarlyStopping, maxLength));
        }
        this.done = new boolean[batchSize];
        if (numBeams <= 1) {
            throw new IllegalArgumentException("`num_beams` has to be an integer strictly greater than 1, but is "
                    + numBeams + ". For `num_beams` == 1, one should make use of `greedy_search` instead.");
        }
        if (numBeamGroups <= 0 || numBeamGroups > numBeams || numBeams % numBeamGroups != 0) {
            throw new IllegalArgumentException("`num_beam_groups` has to be an integer smaller or equal than `num_beams` "
                    + "and `num_beams` has to be divisible by `num_beam_groups`, but is " + numBeamGroups
                    + " with `num_beams` being " + numBeams + ".");
        }
    }

    @Override
    public boolean isDone() {
        for (boolean d : done) {
            if (!d) {
                return false;
            }
        }
        return true;
    }

    public List<BeamHypotheses> beamHyps() {
        return beamHyps;
    }

    List<ConstraintListState> makeConstraintStates(int n) {
        List<ConstraintListState> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Constraint> fresh = new ArrayList<>();
            for (Constraint c : constraints) {
                fresh.add(c.copy(false));
            }
            out.add(new ConstraintListState(fresh));
        }
        return out;
    }

    public boolean checkCompletesConstraints(long[] sequence) {
        ConstraintListState s = makeConstraintStates(1).get(0);
        s.reset(sequence);
        return s.completed();
    }

    public StepOutput process(NDArray inputIds, NDArray nextScores, NDArray nextTokens, NDArray nextIndices,
            NDArray scoresForAllVocab, Integer padTokenId, List<Integer> eosTokenId) {
        return process(inputIds, nextScores, nextTokens, nextIndices, scoresForAllVocab, padTokenId, eosTokenId, null, 0);
    }

    /** One step; {@code scoresForAllVocab} is (batch_size * num_beams, vocab_size). */
    public StepOutput process(NDArray inputIds, NDArray nextScores, NDArray nextTokens, NDArray nextIndices,
            NDArray scoresForAllVocab, Integer padTokenId, List<Integer> eosTokenId, long[][] beamIndices,
            int decoderPromptLen) {
        int curLen = GenUtil.seqLen(inputIds) + 1;
        int batchSize = beamHyps.size();
        int rows = GenUtil.batch(inputIds);
        if (batchSize != rows / groupSize) {
            if (numBeamGroups > 1) {
                throw new IllegalArgumentException("A group beam size of " + rows + " is used as the input, but a group "
                        + "beam size of " + groupSize + " is expected by the beam scorer.");
            }
            throw new IllegalArgumentException("A beam size of " + rows + " is used as the input, but a beam size of "
                    + groupSize + " is expected by the beam scorer.");
        }
        long[][] ids = GenUtil.rows(inputIds, "input_ids");
        float[] vocabScores = GenUtil.floats(scoresForAllVocab);
        int vocab = (int) scoresForAllVocab.getShape().get(1);
        BeamSearchScorer.Candidates c = BeamSearchScorer.Candidates.of(nextScores, nextTokens, nextIndices, batchSize);
        float[] outScores = new float[batchSize * groupSize];
        long[] outTokens = new long[batchSize * groupSize];
        long[] outIndices = new long[batchSize * groupSize];

        for (int b = 0; b < batchSize; b++) {
            BeamHypotheses hyp = beamHyps.get(b);
            if (done[b]) {
                if (numBeams < hyp.size()) {
                    throw new IllegalArgumentException("Batch can only be done if at least " + numBeams
                            + " beams have been generated");
                }
                if (eosTokenId == null || padTokenId == null) {
                    throw new IllegalArgumentException(
                            "Generated beams >= num_beams -> eos_token_id and pad_token have to be defined");
                }
                for (int j = 0; j < groupSize; j++) {
                    outScores[b * groupSize + j] = 0;
                    outTokens[b * groupSize + j] = padTokenId;
                    outIndices[b * groupSize + j] = 0;
                }
                continue;
            }
            int beamIdx = 0;
            float[] sentScores = new float[groupSize];
            long[] sentTokens = new long[groupSize];
            long[] sentIndices = new long[groupSize];
            for (int rank = 0; rank < c.width; rank++) {
                long token = c.tokens[b][rank];
                float score = c.scores[b][rank];
                int batchBeamIdx = b * groupSize + (int) c.indices[b][rank];
                if (eosTokenId != null && eosTokenId.contains((int) token)) {
                    if (rank >= groupSize) {
                        continue;
                    }
                    if (checkCompletesConstraints(ids[batchBeamIdx])) {
                        long[] beamIndex = beamIndices == null ? null
                                : BeamSearchScorer.append(beamIndices[batchBeamIdx], batchBeamIdx);
                        hyp.add(ids[batchBeamIdx].clone(), score, beamIndex, curLen - decoderPromptLen);
                    }
                } else {
                    sentScores[beamIdx] = score;
                    sentTokens[beamIdx] = token;
                    sentIndices[beamIdx] = batchBeamIdx;
                    beamIdx++;
                }
                if (beamIdx == groupSize) {
                    break;
                }
            }
            Step step = stepSentenceConstraint(b, ids, vocabScores, vocab, sentScores, sentTokens, sentIndices, false,
                    inputIds.getManager());
            System.arraycopy(step.scores, 0, outScores, b * groupSize, groupSize);
            System.arraycopy(step.tokens, 0, outTokens, b * groupSize, groupSize);
            System.arraycopy(step.indices, 0, outIndices, b * groupSize, groupSize);
            if (beamIdx < groupSize) {
                throw new IllegalArgumentException("At most " + groupSize + " tokens in " + Arrays.toString(c.tokens[b])
                        + " can be equal to `eos_token_id: " + eosTokenId + "`. Make sure "
                        + Arrays.toString(c.tokens[b]) + " are corrected.");
            }
            done[b] = done[b] || hyp.isDone(c.max(b), curLen, decoderPromptLen);
        }
        NDManager m = inputIds.getManager();
        return new StepOutput(m.create(outScores), m.create(outTokens), m.create(outIndices));
    }

    private record Step(float[] scores, long[] tokens, long[] indices) {}

    /** Python's {@code step_sentence_constraint}: adds constraint-advancing hypotheses and re-ranks by bank. */
    private Step stepSentenceConstraint(int batchIdx, long[][] inputIds, float[] vocabScores, int vocab,
            float[] sentScores, long[] sentTokens, long[] sentIndices, boolean pushProgress, NDManager manager) {
        int origLen = sentIndices.length;
        List<ConstraintListState> topkStates = makeConstraintStates(origLen);
        List<ConstraintListState> advanceStates = makeConstraintStates(origLen);
        int sidx = batchIdx * origLen;

        List<List<Long>> newSeqs = new ArrayList<>();
        for (int i = 0; i < origLen; i++) {
            newSeqs.add(asList(BeamSearchScorer.append(inputIds[(int) sentIndices[i]], sentTokens[i])));
        }
        List<ConstraintListState> newStates = new ArrayList<>();
        List<Long> newIndices = new ArrayList<>();
        List<Long> newTokens = new ArrayList<>();
        List<Float> newScores = new ArrayList<>();

        for (int seqIdx = 0; seqIdx < origLen; seqIdx++) {
            long[] preSeq = inputIds[sidx + seqIdx];
            topkStates.get(seqIdx).reset(toLongs(newSeqs.get(seqIdx)));
            ConstraintListState advanceState = advanceStates.get(seqIdx);
            advanceState.reset(preSeq);
            if (!advanceState.completed()) {
                List<Integer> advanceTokens = advanceState.advance();
                if (advanceTokens == null) {
                    continue;
                }
                for (int token : advanceTokens) {
                    ConstraintListState newState = advanceState.copy(true);
                    newState.add(token);
                    List<Long> advanceSeq = asList(BeamSearchScorer.append(preSeq, token));
                    if (!newSeqs.contains(advanceSeq)) {
                        newSeqs.add(advanceSeq);
                        newIndices.add((long) (sidx + seqIdx));
                        newTokens.add((long) token);
                        newScores.add(vocabScores[(sidx + seqIdx) * vocab + token]);
                        newStates.add(newState);
                    }
                }
            } else if (pushProgress) {
                int best = 0;
                for (int j = 1; j < vocab; j++) {
                    if (vocabScores[(sidx + seqIdx) * vocab + j] > vocabScores[(sidx + seqIdx) * vocab + best]) {
                        best = j;
                    }
                }
                List<Long> advanceSeq = asList(BeamSearchScorer.append(preSeq, best));
                advanceState.reset(toLongs(advanceSeq));
                if (!newSeqs.contains(advanceSeq)) {
                    newSeqs.add(advanceSeq);
                    newIndices.add((long) seqIdx); // Python appends seq_idx here, not the global index
                    newTokens.add((long) best);
                    newScores.add(vocabScores[(sidx + seqIdx) * vocab + best]);
                    newStates.add(advanceState);
                }
            }
        }
        if (newIndices.isEmpty()) {
            return new Step(sentScores, sentTokens, sentIndices);
        }
        List<ConstraintListState> allStates = new ArrayList<>(topkStates);
        allStates.addAll(newStates);
        int total = allStates.size();
        long[] allTokens = new long[total];
        float[] allScores = new float[total];
        long[] allIndices = new long[total];
        long[] allBanks = new long[total];
        for (int i = 0; i < total; i++) {
            if (i < origLen) {
                allTokens[i] = sentTokens[i];
                allScores[i] = sentScores[i];
                allIndices[i] = sentIndices[i];
            } else {
                allTokens[i] = newTokens.get(i - origLen);
                allScores[i] = newScores.get(i - origLen);
                allIndices[i] = newIndices.get(i - origLen);
            }
            allBanks[i] = allStates.get(i).getBank();
        }
        // zipped = all_banks * 100 + all_scores (float32); sorted descending by torch.
        float[] zipped = new float[total];
        for (int i = 0; i < total; i++) {
            zipped[i] = (float) (allBanks[i] * 100) + allScores[i];
        }
        long[] order;
        try (NDArray z = manager.create(zipped); NDArray idx = z.argSort(0, false)) {
            order = idx.toType(DataType.INT64, false).toLongArray();
        }
        int[] increments = new int[total];
        int counter = -1;
        long curBank = allBanks[(int) order[0]];
        for (int i = 0; i < total; i++) {
            long bank = allBanks[(int) order[i]];
            if (bank == curBank) {
                counter++;
            } else {
                counter = 0;
                curBank = bank;
            }
            increments[i] = counter;
        }
        // np.argsort(increments, kind="mergesort"): stable
        Integer[] rearr = new Integer[total];
        for (int i = 0; i < total; i++) {
            rearr[i] = i;
        }
        Arrays.sort(rearr, Comparator.comparingInt(i -> increments[i]));
        float[] s = new float[origLen];
        long[] t = new long[origLen];
        long[] ix = new long[origLen];
        for (int i = 0; i < origLen; i++) {
            int k = (int) order[rearr[i]];
            s[i] = allScores[k];
            t[i] = allTokens[k];
            ix[i] = allIndices[k];
        }
        return new Step(s, t, ix);
    }

    @Override
    public FinalOutput finalize(NDArray inputIds, NDArray finalBeamScores, NDArray finalBeamTokens,
            NDArray finalBeamIndices, Integer maxLength, Integer padTokenId, List<Integer> eosTokenId,
            long[][] beamIndices, int decoderPromptLen) {
        long[][] ids = GenUtil.rows(inputIds, "input_ids");
        float[] finalScores = GenUtil.floats(finalBeamScores);
        for (int b = 0; b < beamHyps.size(); b++) {
            if (done[b]) {
                continue;
            }
            BeamHypotheses hyp = beamHyps.get(b);
            List<Integer> idsCollect = new ArrayList<>();
            for (int beamId = 0; beamId < numBeams; beamId++) {
                int batchBeamIdx = b * numBeams + beamId;
                long[] tokens = ids[batchBeamIdx];
                if (checkCompletesConstraints(tokens)) {
                    long[] beamIndex = beamIndices == null ? null : beamIndices[batchBeamIdx];
                    hyp.add(tokens, finalScores[batchBeamIdx], beamIndex, tokens.length - decoderPromptLen);
                    idsCollect.add(beamId);
                }
            }
            // Too hard to satisfy: fall back to the best-scoring beams.
            if (idsCollect.size() < numBeamHypsToKeep) {
                for (int beamId = 0; beamId < numBeams; beamId++) {
                    if (!idsCollect.contains(beamId)) {
                        int batchBeamIdx = b * numBeams + beamId;
                        long[] tokens = ids[batchBeamIdx];
                        hyp.add(tokens, finalScores[batchBeamIdx], null, tokens.length - decoderPromptLen);
                    }
                    if (idsCollect.size() >= numBeamHypsToKeep) {
                        break;
                    }
                }
            }
        }
        List<BeamHypotheses.Hypothesis> best = new ArrayList<>();
        for (BeamHypotheses hyp : beamHyps) {
            best.addAll(BeamSearchScorer.pickBest(hyp.beams(), numBeamHypsToKeep));
        }
        return BeamSearchScorer.assemble(inputIds.getManager(), best, maxLength, padTokenId, eosTokenId);
    }

    private static List<Long> asList(long[] a) {
        List<Long> l = new ArrayList<>(a.length);
        for (long x : a) {
            l.add(x);
        }
        return l;
    }

    private static long[] toLongs(List<Long> l) {
        long[] a = new long[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = l.get(i);
        }
        return a;
    }
}
