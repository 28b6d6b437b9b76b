package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;

/**
 * Proposes the tokens assisted decoding verifies with one forward of the main model. Port of Python's
 * {@code CandidateGenerator} (candidate_generator.py); {@link AssistedCandidateGenerator} drafts them with a smaller
 * model, {@link PromptLookupCandidateGenerator} copies them from the prompt.
 */
public interface CandidateGenerator {

    /**
     * The candidates for {@code inputIds} (batch, len).
     *
     * @param candidateInputIds (batch, len + candidates): the input followed by the candidate tokens (just the input
     *     when there are none)
     * @param candidateLogits (batch, candidates, vocab): the drafter's processed scores of each candidate, or null
     */
    record Candidates(NDArray candidateInputIds, NDArray candidateLogits) {}

    Candidates getCandidates(NDArray inputIds);

    /** Adapts the strategy after {@code numMatches} candidates were accepted ({@code scores}: the main model's). */
    void updateCandidateStrategy(NDArray inputIds, NDArray scores, int numMatches);
}
