package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Forbids generating n-grams that occur in the encoder input (prompt). Port of Python's
 * {@code EncoderNoRepeatNGramLogitsProcessor}; the encoder batch must divide the number of hypotheses.
 */
public final class EncoderNoRepeatNGramLogitsProcessor implements LogitsProcessor {
    private final int ngramSize;
    private final int batchSize;
    private final List<Map<List<Long>, List<Long>>> generatedNgrams;

    public EncoderNoRepeatNGramLogitsProcessor(int encoderNgramSize, NDArray encoderInputIds) {
        this(encoderNgramSize, GenUtil.rows(encoderInputIds, "encoder_input_ids"));
    }

    public EncoderNoRepeatNGramLogitsProcessor(int encoderNgramSize, long[][] encoderInputIds) {
        if (encoderNgramSize <= 0) {
            throw new IllegalArgumentException("`encoder_ngram_size` has to be a strictly positive integer, but is "
                    + encoderNgramSize);
        }
        this.ngramSize = encoderNgramSize;
        this.batchSize = encoderInputIds.length;
        this.generatedNgrams = NGrams.getNgrams(encoderNgramSize, encoderInputIds, batchSize);
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int numHypos = GenUtil.batch(scores);
        int numBeams = numHypos / batchSize;
        if (numBeams == 0) {
            throw new IllegalArgumentException("EncoderNoRepeatNGramLogitsProcessor: scores have " + numHypos
                    + " rows but encoder_input_ids has " + batchSize + "; the encoder batch must divide the scores batch");
        }
        int v = GenUtil.vocab(scores);
        long[][] ids = GenUtil.rows(inputIds, "input_ids");
        int curLen = GenUtil.seqLen(inputIds);
        List<List<Long>> banned = new ArrayList<>();
        for (int h = 0; h < numHypos; h++) {
            banned.add(NGrams.generatedNgrams(generatedNgrams.get(h / numBeams), ids[h], ngramSize, curLen));
        }
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
