package io.transformers4j.generation;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Port of Python's {@code _get_ngrams} / {@code _get_generated_ngrams} / {@code _calc_banned_ngram_tokens}. */
final class NGrams {
    private NGrams() {}

    /** Per hypothesis: (n-1)-gram prefix -> the tokens that followed it, in order of appearance. */
    static List<Map<List<Long>, List<Long>>> getNgrams(int ngramSize, long[][] prevInputIds, int numHypos) {
        List<Map<List<Long>, List<Long>>> out = new ArrayList<>(numHypos);
        for (int idx = 0; idx < numHypos; idx++) {
            Map<List<Long>, List<Long>> generated = new HashMap<>();
            long[] tokens = prevInputIds[idx];
            for (int start = 0; start + ngramSize <= tokens.length; start++) {
                List<Long> prefix = new ArrayList<>(ngramSize - 1);
                for (int i = 0; i < ngramSize - 1; i++) {
                    prefix.add(tokens[start + i]);
                }
                generated.computeIfAbsent(prefix, k -> new ArrayList<>()).add(tokens[start + ngramSize - 1]);
            }
            out.add(generated);
        }
        return out;
    }

    /** The tokens banned after the last {@code ngramSize - 1} tokens of {@code prevInputIds}. */
    static List<Long> generatedNgrams(Map<List<Long>, List<Long>> banned, long[] prevInputIds, int ngramSize,
            int curLen) {
        int startIdx = curLen + 1 - ngramSize;
        List<Long> key = new ArrayList<>();
        for (long t : Arrays.copyOfRange(prevInputIds, Math.max(startIdx, 0), curLen)) {
            key.add(t);
        }
        return banned.getOrDefault(key, List.of());
    }

    static List<List<Long>> calcBannedNgramTokens(int ngramSize, long[][] prevInputIds, int numHypos, int curLen) {
        List<List<Long>> out = new ArrayList<>();
        if (curLen + 1 < ngramSize) {
            for (int i = 0; i < numHypos; i++) {
                out.add(List.of());
            }
            return out;
        }
        List<Map<List<Long>, List<Long>>> ngrams = getNgrams(ngramSize, prevInputIds, numHypos);
        for (int h = 0; h < numHypos; h++) {
            out.add(generatedNgrams(ngrams.get(h), prevInputIds[h], ngramSize, curLen));
        }
        return out;
    }

    /** Sets {@code scores[i, banned[i]] = -inf} on a host copy. */
    static void ban(float[] s, int vocab, List<List<Long>> banned) {
        for (int i = 0; i < banned.size(); i++) {
            for (long t : banned.get(i)) {
                s[i * vocab + GenUtil.column(t, vocab)] = Float.NEGATIVE_INFINITY;
            }
        }
    }
}
