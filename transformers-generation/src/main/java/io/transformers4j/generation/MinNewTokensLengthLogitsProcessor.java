package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sets the EOS scores to -inf until {@code minNewTokens} tokens follow the prompt. Port of Python's
 * {@code MinNewTokensLengthLogitsProcessor}.
 */
public final class MinNewTokensLengthLogitsProcessor implements LogitsProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(MinNewTokensLengthLogitsProcessor.class);

    private final int promptLengthToSkip;
    private final int minNewTokens;
    private final int[] eosTokenId;

    public MinNewTokensLengthLogitsProcessor(int promptLengthToSkip, int minNewTokens, List<Integer> eosTokenId) {
        if (promptLengthToSkip < 0) {
            throw new IllegalArgumentException(
                    "`prompt_length_to_skip` has to be a positive integer, but is " + promptLengthToSkip);
        }
        if (minNewTokens < 0) {
            throw new IllegalArgumentException("`min_new_tokens` has to be a positive integer, but is " + minNewTokens);
        }
        this.eosTokenId = GenUtil.toIntArray(eosTokenId, "eos_token_id");
        for (int i : this.eosTokenId) {
            if (i < 0) {
                LOG.warn("`eos_token_id` has to be a list of positive integers, but is {}", eosTokenId);
                break;
            }
        }
        this.promptLengthToSkip = promptLengthToSkip;
        this.minNewTokens = minNewTokens;
    }

    public MinNewTokensLengthLogitsProcessor(int promptLengthToSkip, int minNewTokens, int eosTokenId) {
        this(promptLengthToSkip, minNewTokens, List.of(eosTokenId));
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int newTokens = GenUtil.seqLen(inputIds) - promptLengthToSkip;
        if (newTokens < minNewTokens) {
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
