package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * After {@code startIndex} generated tokens, raises the EOS scores by {@code |score| * (decayFactor^k - 1)}. Port of
 * Python's {@code ExponentialDecayLengthPenalty}.
 */
public final class ExponentialDecayLengthPenalty implements LogitsProcessor {
    private final int regulationStart;
    private final double regulationFactor;
    private final int[] eosTokenId;

    /** Python's {@code exponential_decay_length_penalty = (start_index, decay_factor)}. */
    public record Penalty(int startIndex, double decayFactor) {}

    public ExponentialDecayLengthPenalty(Penalty penalty, List<Integer> eosTokenId, int inputIdsSeqLength) {
        this.regulationStart = penalty.startIndex() + inputIdsSeqLength;
        this.regulationFactor = penalty.decayFactor();
        this.eosTokenId = GenUtil.toIntArray(eosTokenId, "eos_token_id");
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int curLen = GenUtil.seqLen(inputIds);
        if (curLen <= regulationStart) {
            return scores;
        }
        int v = GenUtil.vocab(scores);
        float[] s = GenUtil.floats(scores);
        int b = s.length / v;
        // pow(...) - 1 is a Python float; torch multiplies the float32 column by it in float32.
        float factor = (float) (Math.pow(regulationFactor, curLen - regulationStart) - 1);
        for (int e : eosTokenId) {
            int c = GenUtil.column(e, v);
            for (int r = 0; r < b; r++) {
                float x = s[r * v + c];
                s[r * v + c] = x + Math.abs(x) * factor;
            }
        }
        return GenUtil.like(scores, s);
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
