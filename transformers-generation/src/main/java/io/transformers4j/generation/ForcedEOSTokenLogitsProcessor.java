package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Forces one of the EOS tokens when the next token is the last one {@code maxLength} allows. Port of Python's
 * {@code ForcedEOSTokenLogitsProcessor}.
 */
public final class ForcedEOSTokenLogitsProcessor implements LogitsProcessor {
    private final int maxLength;
    private final int[] eosTokenId;

    public ForcedEOSTokenLogitsProcessor(int maxLength, List<Integer> eosTokenId) {
        this.maxLength = maxLength;
        this.eosTokenId = GenUtil.toIntArray(eosTokenId, "eos_token_id");
    }

    public ForcedEOSTokenLogitsProcessor(int maxLength, int eosTokenId) {
        this(maxLength, List.of(eosTokenId));
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        if (GenUtil.seqLen(inputIds) != maxLength - 1) {
            return scores;
        }
        return ForcedBOSTokenLogitsProcessor.forceOnly(scores, eosTokenId);
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
