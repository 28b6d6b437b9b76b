package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongFunction;

/**
 * Done for the rows whose text ends in one of the stop strings, the way later Python versions define
 * {@code StopStringCriteria}: the stop string must overlap the final token (a token may run past either end of
 * it, e.g. {@code ["las", "topper"]} matches "stop"), so a stop string already followed by other tokens does not
 * stop generation again.
 *
 * <p>{@code tokenText} maps a token id to the text it contributes (a tokenizer's
 * {@code convert_tokens_to_string([token])}); keep it an interface so this module does not depend on a tokenizer.
 */
public final class StopStringCriteria implements StoppingCriteria {
    private final List<String> stopStrings;
    private final LongFunction<String> tokenText;
    private final int maximumTokenLen;

    public StopStringCriteria(LongFunction<String> tokenText, List<String> stopStrings) {
        if (stopStrings == null || stopStrings.isEmpty() || stopStrings.stream().anyMatch(s -> s == null || s.isEmpty())) {
            throw new IllegalArgumentException("`stop_strings` must be a non-empty list of non-empty strings, got "
                    + stopStrings);
        }
        this.stopStrings = List.copyOf(stopStrings);
        this.tokenText = tokenText;
        this.maximumTokenLen = stopStrings.stream().mapToInt(String::length).max().orElse(0);
    }

    public List<String> stopStrings() { return stopStrings; }

    @Override
    public boolean[] isDone(NDArray inputIds, NDArray scores) {
        long[][] rows = GenUtil.rows(inputIds, "input_ids");
        boolean[] out = new boolean[rows.length];
        for (int r = 0; r < rows.length; r++) {
            // A stop string of length L spans at most L tokens (each contributes at least one character).
            long[] row = rows[r];
            int from = Math.max(0, row.length - maximumTokenLen);
            List<String> texts = new ArrayList<>();
            for (int i = from; i < row.length; i++) {
                texts.add(tokenText.apply(row[i]));
            }
            for (String stop : stopStrings) {
                if (matches(texts, stop)) {
                    out[r] = true;
                    break;
                }
            }
        }
        return out;
    }

    /** The stop string ends inside the final token's text and the earlier tokens spell the rest of it. */
    static boolean matches(List<String> tokens, String stop) {
        if (tokens.isEmpty()) {
            return false;
        }
        String last = tokens.get(tokens.size() - 1);
        for (int overlap = 1; overlap <= Math.min(last.length(), stop.length()); overlap++) {
            // stop[-overlap:] == last[:overlap]
            if (!stop.endsWith(last.substring(0, overlap))) {
                continue;
            }
            int remaining = stop.length() - overlap;
            int i = tokens.size() - 2;
            while (remaining > 0 && i >= 0) {
                String t = tokens.get(i);
                if (t.isEmpty()) {
                    i--;
                    continue;
                }
                if (t.length() >= remaining) {
                    if (t.endsWith(stop.substring(0, remaining))) {
                        remaining = 0;
                    }
                    break;
                }
                if (!stop.substring(0, remaining).endsWith(t)) {
                    break;
                }
                remaining -= t.length();
                i--;
            }
            if (remaining == 0) {
                return true;
            }
        }
        return false;
    }
}
