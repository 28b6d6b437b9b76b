package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Prompt lookup decoding (https://github.com/apoorvumang/prompt-lookup-decoding): the candidates are what followed
 * the last n-gram's earlier occurrence in the sequence itself. Port of Python's
 * {@code PromptLookupCandidateGenerator}; selected by {@code prompt_lookup_num_tokens}.
 */
public final class PromptLookupCandidateGenerator implements CandidateGenerator {
    private final int numOutputTokens;
    private final int maxMatchingNgramSize;

    /** Python's defaults: {@code num_output_tokens=10}, {@code max_matching_ngram_size=None} (2). */
    public PromptLookupCandidateGenerator(Integer numOutputTokens, Integer maxMatchingNgramSize) {
        this.numOutputTokens = numOutputTokens == null ? 10 : numOutputTokens;
        this.maxMatchingNgramSize = maxMatchingNgramSize == null || maxMatchingNgramSize == 0 ? 2
                : maxMatchingNgramSize;
        if (this.maxMatchingNgramSize <= 0 || this.numOutputTokens <= 0) {
            throw new IllegalArgumentException("Invalid max_matching_ngram_size or num_output_tokens");
        }
    }

    @Override
    public Candidates getCandidates(NDArray inputIds) {
        long[] ids = GenUtil.rows(inputIds, "input_ids")[0]; // Python reads input_ids[0]: batch size 1
        int inputLength = ids.length;
        int chosenStart = -1;
        int chosenEnd = -1;
        for (int ngramSize = Math.min(maxMatchingNgramSize, inputLength - 1); ngramSize > 0 && chosenStart < 0;
                ngramSize--) {
            // windows of ngramSize that equal the last ngramSize tokens, first match first
            for (int idx = 0; idx + ngramSize <= inputLength; idx++) {
                boolean match = true;
                for (int j = 0; j < ngramSize; j++) {
                    if (ids[idx + j] != ids[inputLength - ngramSize + j]) {
                        match = false;
                        break;
                    }
                }
                if (!match) {
                    continue;
                }
                int start = idx + ngramSize;
                int end = Math.min(start + numOutputTokens, inputLength);
                if (start < end) {
                    chosenStart = start;
                    chosenEnd = end;
                    break;
                }
            }
        }
        if (chosenStart < 0) {
            // no match: plain autoregressive decoding this round
            return new Candidates(inputIds, null);
        }
        long[] chosen = new long[chosenEnd - chosenStart];
        System.arraycopy(ids, chosenStart, chosen, 0, chosen.length);
        try (NDArray c = inputIds.getManager().create(chosen, new Shape(1, chosen.length))) {
            return new Candidates(inputIds.concat(c, 1), null);
        }
    }

    @Override
    public void updateCandidateStrategy(NDArray inputIds, NDArray scores, int numMatches) {
        // Python: currently does nothing
    }
}
