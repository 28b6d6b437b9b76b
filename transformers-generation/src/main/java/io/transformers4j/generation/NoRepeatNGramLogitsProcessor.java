package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Forbids any n-gram of size {@code ngramSize} from occurring twice (the prompt counts for decoder-only models).
 * Port of Python's {@code NoRepeatNGramLogitsProcessor} (fairseq's rule).
 */
public final class NoRepeatNGramLogitsProcessor implements LogitsProcessor {
    private final int ngramSize;

    public NoRepeatNGramLogitsProcessor(int ngramSize) {
        if (ngramSize <= 0) {
            throw new IllegalArgumentException("`ngram_size` has to be a strictly positive integer, but is " + ngramSize);
        }
        this.ngramSize = ngramSize;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int numHypos = GenUtil.batch(scores);
        int v = GenUtil.vocab(scores);
        long[][] ids = GenUtil.rows(inputIds, "input_ids");
        List<List<Long>> banned = NGrams.calcBannedNgramTokens(ngramSize, ids, numHypos, GenUtil.seqLen(inputIds));
        float[] s = GenUtil.floats(scores);
        NGrams.ban(s, v, banned);
        return GenUtil.like(scores, s);
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
