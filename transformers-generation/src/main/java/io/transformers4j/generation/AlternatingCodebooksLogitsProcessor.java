package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;

/**
 * Bark's fine model: alternates between the two codebooks. Port of Python's
 * {@code AlternatingCodebooksLogitsProcessor}.
 */
public final class AlternatingCodebooksLogitsProcessor implements LogitsProcessor {
    private final int inputStartLen;
    private final int semanticVocabSize;
    private final int codebookSize;

    public AlternatingCodebooksLogitsProcessor(int inputStartLen, int semanticVocabSize, int codebookSize) {
        if (inputStartLen < 0) {
            throw new IllegalArgumentException("`input_starting_length` has to be a non-negative integer, but is "
                    + inputStartLen);
        }
        this.inputStartLen = inputStartLen;
        this.semanticVocabSize = semanticVocabSize;
        this.codebookSize = codebookSize;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int curLen = GenUtil.seqLen(inputIds);
        int v = GenUtil.vocab(scores);
        float[] s = GenUtil.floats(scores);
        int b = s.length / v;
        // Python's modulo: ((curLen - start) % 2) == 0 also for negative differences.
        boolean firstCodebook = Math.floorMod(curLen - inputStartLen, 2) == 0;
        for (int r = 0; r < b; r++) {
            for (int j = 0; j < v; j++) {
                boolean mask = firstCodebook
                        ? (j < semanticVocabSize || j >= semanticVocabSize + codebookSize)
                        : j < semanticVocabSize + codebookSize;
                if (mask) {
                    s[r * v + j] = Float.NEGATIVE_INFINITY;
                }
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
