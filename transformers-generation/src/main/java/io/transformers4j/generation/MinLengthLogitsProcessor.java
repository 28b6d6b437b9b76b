package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets the EOS scores to -inf while the sequence (prompt included, for decoder-only models) is shorter than
 * {@code minLength}. Port of Python's {@code MinLengthLogitsProcessor}.
 */
public final class MinLengthLogitsProcessor implements LogitsProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(MinLengthLogitsProcessor.class);

    private final int minLength;
    private final int[] eosTokenId;

    public MinLengthLogitsProcessor(int minLength, int eosTokenId) {
        this(minLength, List.of(eosTokenId));
    }

    public MinLengthLogitsProcessor(int minLength, List<Integer> eosTokenId) {
        if (minLength < 0) {
            throw new IllegalArgumentException("`min_length` has to be a non-negative integer, but is " + minLength);
        }
        this.eosTokenId = GenUtil.toIntArray(eosTokenId, "eos_token_id");
        for (int i : this.eosTokenId) {
            if (i < 0) {
                LOG.warn("`eos_token_id` has to be a list of positive integers, but is {}", eosTokenId);
                break;
            }
        }
        this.minLength = minLength;
    }

    public int minLength() { return minLength; }
    public List<Integer> eosTokenId() { return GenUtil.list(eosTokenId); }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        if (GenUtil.seqLen(inputIds) < minLength) {
            return GenUtil.fillColumns(scores, eosTokenId, Float.NEGATIVE_INFINITY);
        }
        return scores;
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
