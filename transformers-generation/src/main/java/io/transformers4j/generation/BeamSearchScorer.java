package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Standard (and diverse / group) beam search. Port of Python's {@code BeamSearchScorer}: the same candidate walk,
 * EOS handling, done checks ({@code early_stopping} True / False / "never") and finalisation, with Python's
 * error messages.
 */
public final class BeamSearchScorer implements BeamScorer {
    private final int numBeams;
    private final double lengthPenalty;
    private final int numBeamHypsToKeep;
    private final int numBeamGroups;
    private final int groupSize;
    private final List<BeamHypotheses> beamHyps = new ArrayList<>();
    private final boolean[] done;

    public BeamSearchScorer(int batchSize, int numBeams) {
        this(batchSize, numBeams, 1.0, EarlyStopping.FALSE, 1, 1, null);
    }

    public BeamSearchScorer(int batchSize, int numBeams, double lengthPenalty, EarlyStopping doEarlyStopping,
            int numBeamHypsToKeep, int numBeamGroups, Integer maxLength) {
        if (numBeams <= 1) {
            throw new IllegalArgumentException("`num_beams` has to be an integer strictly greater than 1, but is "
                    + numBeams + ". For `num_beams` == 1, one should make use of `greedy_search` instead.");
        }
        if (numBeamGroups <= 0 || numBeamGroups > numBeams || numBeams % numBeamGroups != 0) {
            throw new IllegalArgumentException("`num_beam_groups` has to be an integer smaller or equal than `num_beams` "
                    + "and `num_beams` has to be divisible by `num_beam_groups`, but is " + numBeamGroups
                    + " with `num_beams` being " + numBeams + ".");
        }
        this.numBeams = numBeams;
        this.lengthPenalty = lengthPenalty;
        this.numBeamHypsToKeep = numBeamHypsToKeep;
        this.numBeamGroups = numBeamGroups;
        this.groupSize = numBeams / numBeamGroups;
        for (int i = 0; i < batchSize * numBeamGroups; i++) {
            beamHyps.add(new BeamHypotheses(groupSize, lengthPenalty, doEarlyStopping, maxLength));
        }
        this.done = new boolean[batchSize * numBeamGroups];
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

    public StepOutput process(NDArray inputIds, NDArray nextScores, NDArray nextTokens, NDArray nextIndices,
            Integer padTokenId, List<Integer> eosTokenId) {
        return process(inputIds, nextScores, nextTokens, nextIndices, padTokenId, eosTokenId, null, 0, 0);
    }

    /**
     * One step. {@code nextScores/nextTokens/nextIndices} are (batch_size, 2 * group_size), sorted by score;
     * {@code beamIndices} (nullable) holds, per running row, the beam index of each token generated so far.
     */
    public StepOutput process(NDArray inputIds, NDArray nextScores, NDArray nextTokens, NDArray nextIndices,
            Integer padTokenId, List<Integer> eosTokenId, long[][] beamIndices, int groupIndex, int decoderPromptLen) {
        int curLen = GenUtil.seqLen(inputIds) + 1;
        int batchSize = beamHyps.size() / numBeamGroups;
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
        Candidates c = Candidates.of(nextScores, nextTokens, nextIndices, batchSize);
        float[] outScores = new float[batchSize * groupSize];
        long[] outTokens = new long[batchSize * groupSize];
        long[] outIndices = new long[batchSize * groupSize];

        for (int b = 0; b < batchSize; b++) {
            int bg = b * numBeamGroups + groupIndex;
            if (done[bg]) {
                if (numBeams < beamHyps.get(bg).size()) {
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
            for (int rank = 0; rank < c.width; rank++) {
                long token = c.tokens[b][rank];
                float score = c.scores[b][rank];
                int batchBeamIdx = b * groupSize + (int) c.indices[b][rank];
                if (eosTokenId != null && eosTokenId.contains((int) token)) {
                    if (rank >= groupSize) {
                        continue;
                    }
                    long[] beamIndex = beamIndices == null ? null : append(beamIndices[batchBeamIdx], batchBeamIdx);
                    beamHyps.get(bg).add(ids[batchBeamIdx].clone(), score, beamIndex, curLen - decoderPromptLen);
                } else {
                    outScores[b * groupSize + beamIdx] = score;
                    outTokens[b * groupSize + beamIdx] = token;
                    outIndices[b * groupSize + beamIdx] = batchBeamIdx;
                    beamIdx++;
                }
                if (beamIdx == groupSize) {
                    break;
                }
            }
            if (beamIdx < groupSize) {
                throw new IllegalArgumentException("At most " + groupSize + " tokens in " + Arrays.toString(c.tokens[b])
                        + " can be equal to `eos_token_id: " + eosTokenId + "`. Make sure "
                        + Arrays.toString(c.tokens[b]) + " are corrected.");
            }
            done[bg] = done[bg] || beamHyps.get(bg).isDone(c.max(b), curLen, decoderPromptLen);
        }
        NDManager m = inputIds.getManager();
        return new StepOutput(m.create(outScores), m.create(outTokens), m.create(outIndices));
    }

    @Override
    public FinalOutput finalize(NDArray inputIds, NDArray finalBeamScores, NDArray finalBeamTokens,
            NDArray finalBeamIndices, Integer maxLength, Integer padTokenId, List<Integer> eosTokenId,
            long[][] beamIndices, int decoderPromptLen) {
        int batchSize = beamHyps.size() / numBeamGroups;
        long[][] ids = GenUtil.rows(inputIds, "input_ids");
        float[] finalScores = GenUtil.floats(finalBeamScores);
        for (int bg = 0; bg < beamHyps.size(); bg++) {
            if (done[bg]) {
                continue;
            }
            for (int k = 0; k < groupSize; k++) {
                int batchBeamIdx = bg * groupSize + k;
                long[] tokens = ids[batchBeamIdx];
                long[] beamIndex = beamIndices == null ? null : beamIndices[batchBeamIdx];
                beamHyps.get(bg).add(tokens, finalScores[batchBeamIdx], beamIndex, tokens.length - decoderPromptLen);
            }
        }
        List<BeamHypotheses.Hypothesis> best = new ArrayList<>();
        for (int i = 0; i < batchSize; i++) {
            List<BeamHypotheses.Hypothesis> candidates = new ArrayList<>();
            for (int g = 0; g < numBeamGroups; g++) {
                candidates.addAll(beamHyps.get(i * numBeamGroups + g).beams());
            }
            best.addAll(pickBest(candidates, numBeamHypsToKeep));
        }
        return assemble(inputIds.getManager(), best, maxLength, padTokenId, eosTokenId);
    }

    /**
     * Python's {@code sorted(beams, key=score)} then {@code pop()} n times: the highest scores, and among equal
     * scores the one added last (sorted is stable, pop takes from the end).
     */
    static List<BeamHypotheses.Hypothesis> pickBest(List<BeamHypotheses.Hypothesis> candidates, int n) {
        List<BeamHypotheses.Hypothesis> sorted = new ArrayList<>(candidates);
        sorted.sort(Comparator.comparingDouble(BeamHypotheses.Hypothesis::score));
        List<BeamHypotheses.Hypothesis> out = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            if (sorted.isEmpty()) {
                throw new IllegalStateException("pop from empty list: fewer finished hypotheses than "
                        + "num_beam_hyps_to_keep (" + n + ")");
            }
            out.add(sorted.remove(sorted.size() - 1));
        }
        return out;
    }

    /** Pads the chosen hypotheses into one tensor, adding the first EOS where it fits (Python's finalize tail). */
    static FinalOutput assemble(NDManager m, List<BeamHypotheses.Hypothesis> best, Integer maxLength,
            Integer padTokenId, List<Integer> eosTokenId) {
        int n = best.size();
        int[] lengths = new int[n];
        int maxLen = 0;
        int minLen = Integer.MAX_VALUE;
        for (int i = 0; i < n; i++) {
            lengths[i] = best.get(i).tokens().length;
            maxLen = Math.max(maxLen, lengths[i]);
            minLen = Math.min(minLen, lengths[i]);
        }
        int sentMaxLen = maxLength != null ? Math.min(maxLen + 1, maxLength) : maxLen + 1;
        long[] decoded = new long[n * sentMaxLen];
        boolean withIndices = n > 0 && best.get(0).beamIndices() != null;
        long[] indices = withIndices ? new long[n * sentMaxLen] : null;
        if (minLen != maxLen) {
            if (padTokenId == null) {
                throw new IllegalArgumentException("`pad_token_id` has to be defined");
            }
            Arrays.fill(decoded, padTokenId);
        }
        if (indices != null) {
            Arrays.fill(indices, -1);
        }
        float[] scores = new float[n];
        for (int i = 0; i < n; i++) {
            BeamHypotheses.Hypothesis h = best.get(i);
            scores[i] = (float) h.score();
            int len = Math.min(lengths[i], sentMaxLen);
            System.arraycopy(h.tokens(), 0, decoded, i * sentMaxLen, len);
            if (indices != null && h.beamIndices() != null) {
                System.arraycopy(h.beamIndices(), 0, indices, i * sentMaxLen, Math.min(h.beamIndices().length, sentMaxLen));
            }
            if (lengths[i] < sentMaxLen) {
                if (eosTokenId == null || eosTokenId.isEmpty()) {
                    throw new IllegalArgumentException("`eos_token_id` has to be defined to end the hypotheses shorter "
                            + "than max_length");
                }
                decoded[i * sentMaxLen + lengths[i]] = eosTokenId.get(0);
            }
        }
        NDArray seq = m.create(decoded, new Shape(n, sentMaxLen));
        NDArray sc = m.create(scores, new Shape(n));
        NDArray bi = indices == null ? null : m.create(indices, new Shape(n, sentMaxLen));
        return new FinalOutput(seq, sc, bi);
    }

    static long[] append(long[] prefix, long value) {
        long[] out = prefix == null ? new long[1] : Arrays.copyOf(prefix, prefix.length + 1);
        out[out.length - 1] = value;
        return out;
    }

    /** Host copies of the (batch, 2 * beams) candidate tensors. */
    static final class Candidates {
        final float[][] scores;
        final long[][] tokens;
        final long[][] indices;
        final int width;

        private Candidates(float[][] scores, long[][] tokens, long[][] indices, int width) {
            this.scores = scores;
            this.tokens = tokens;
            this.indices = indices;
            this.width = width;
        }

        static Candidates of(NDArray nextScores, NDArray nextTokens, NDArray nextIndices, int batchSize) {
            float[] s = GenUtil.floats(nextScores);
            long[] t = nextTokens.toType(DataType.INT64, false).toLongArray();
            long[] ix = nextIndices.toType(DataType.INT64, false).toLongArray();
            int w = s.length / Math.max(batchSize, 1);
            float[][] ss = new float[batchSize][w];
            long[][] tt = new long[batchSize][w];
            long[][] ii = new long[batchSize][w];
            for (int b = 0; b < batchSize; b++) {
                System.arraycopy(s, b * w, ss[b], 0, w);
                System.arraycopy(t, b * w, tt[b], 0, w);
                System.arraycopy(ix, b * w, ii[b], 0, w);
            }
            return new Candidates(ss, tt, ii, w);
        }

        double max(int b) {
            float m = Float.NEGATIVE_INFINITY;
            for (float x : scores[b]) {
                if (x > m || Float.isNaN(x)) {
                    m = x;
                }
            }
            return m;
        }
    }
}
