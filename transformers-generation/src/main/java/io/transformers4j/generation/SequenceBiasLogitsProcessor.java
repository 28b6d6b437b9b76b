package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Adds a bias to the last token of a sequence when the tokens before it were just generated (a sequence of length 1
 * is always biased). Port of Python's {@code SequenceBiasLogitsProcessor}; keys keep their insertion order, which is
 * the order biases are summed in (float32), as with Python's dict.
 */
public class SequenceBiasLogitsProcessor implements LogitsProcessor {
    private final Map<List<Integer>, Float> sequenceBias;
    private float[] length1Bias;

    public SequenceBiasLogitsProcessor(Map<List<Integer>, ? extends Number> sequenceBias) {
        validate(sequenceBias);
        Map<List<Integer>, Float> copy = new LinkedHashMap<>();
        sequenceBias.forEach((k, v) -> copy.put(List.copyOf(k), v.floatValue()));
        this.sequenceBias = Collections.unmodifiableMap(copy);
    }

    public Map<List<Integer>, Float> sequenceBias() { return sequenceBias; }

    private static void validate(Map<List<Integer>, ? extends Number> sequenceBias) {
        if (sequenceBias == null || sequenceBias.isEmpty()) {
            throw new IllegalArgumentException("`sequence_bias` has to be a non-empty dictionary, but is "
                    + GenUtil.pyRepr(sequenceBias) + ".");
        }
        for (Map.Entry<List<Integer>, ? extends Number> e : sequenceBias.entrySet()) {
            List<Integer> ids = e.getKey();
            if (ids == null || ids.isEmpty() || ids.stream().anyMatch(t -> t == null || t < 0)) {
                throw new IllegalArgumentException("Each key in `sequence_bias` has to be a non-empty tuple of positive "
                        + "integers, but is " + GenUtil.pyRepr(sequenceBias) + ".");
            }
            if (e.getValue() == null) {
                throw new IllegalArgumentException("`sequence_bias` has to be a dict with floats as values, but is "
                        + GenUtil.pyRepr(sequenceBias) + ".");
            }
        }
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int v = GenUtil.vocab(scores);
        int b = GenUtil.batch(scores);
        if (length1Bias == null) {
            prepare(v);
        }
        long[][] ids = GenUtil.rows(inputIds, "input_ids");
        int seq = GenUtil.seqLen(inputIds);
        float[] bias = new float[b * v];
        for (int r = 0; r < b; r++) {
            System.arraycopy(length1Bias, 0, bias, r * v, v);
        }
        for (Map.Entry<List<Integer>, Float> e : sequenceBias.entrySet()) {
            List<Integer> seqIds = e.getKey();
            if (seqIds.size() == 1 || seqIds.size() > seq) {
                continue;
            }
            int prefixLength = seqIds.size() - 1;
            int last = seqIds.get(prefixLength);
            for (int r = 0; r < b; r++) {
                boolean match = true;
                for (int i = 0; i < prefixLength; i++) {
                    if (ids[r][seq - prefixLength + i] != seqIds.get(i)) {
                        match = false;
                        break;
                    }
                }
                bias[r * v + last] += match ? e.getValue() : 0.0f;
            }
        }
        float[] s = GenUtil.floats(scores);
        for (int i = 0; i < s.length; i++) {
            s[i] = s[i] + bias[i];
        }
        return GenUtil.like(scores, s);
    }

    private void prepare(int vocabularySize) {
        List<Integer> invalid = new ArrayList<>();
        for (List<Integer> seq : sequenceBias.keySet()) {
            for (int t : seq) {
                if (t >= vocabularySize) {
                    invalid.add(t);
                }
            }
        }
        if (!invalid.isEmpty()) {
            throw new IllegalArgumentException("The model vocabulary size is " + vocabularySize
                    + ", but the following tokens were being biased: " + invalid);
        }
        float[] l1 = new float[vocabularySize];
        for (Map.Entry<List<Integer>, Float> e : sequenceBias.entrySet()) {
            if (e.getKey().size() == 1) {
                l1[e.getKey().get(0)] = e.getValue();
            }
        }
        length1Bias = l1;
    }
}
