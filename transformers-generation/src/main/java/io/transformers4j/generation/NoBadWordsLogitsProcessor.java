package io.transformers4j.generation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Forbids the given token sequences: a sequence bias of -inf on each, the single-token EOS sequences filtered out.
 * Port of Python's {@code NoBadWordsLogitsProcessor}.
 */
public final class NoBadWordsLogitsProcessor extends SequenceBiasLogitsProcessor {

    public NoBadWordsLogitsProcessor(List<List<Integer>> badWordsIds, List<Integer> eosTokenId) {
        super(toBias(badWordsIds, eosTokenId));
    }

    public NoBadWordsLogitsProcessor(List<List<Integer>> badWordsIds, int eosTokenId) {
        this(badWordsIds, List.of(eosTokenId));
    }

    private static Map<List<Integer>, Float> toBias(List<List<Integer>> badWordsIds, List<Integer> eosTokenId) {
        if (badWordsIds == null || badWordsIds.isEmpty()) {
            throw new IllegalArgumentException("`bad_words_ids` has to be a non-empty list, but is "
                    + GenUtil.pyRepr(badWordsIds) + ".");
        }
        for (List<Integer> ids : badWordsIds) {
            if (ids == null) {
                throw new IllegalArgumentException("`bad_words_ids` has to be a list of lists, but is "
                        + GenUtil.pyRepr(badWordsIds) + ".");
            }
            if (ids.stream().anyMatch(t -> t == null || t < 0)) {
                throw new IllegalArgumentException("Each list in `bad_words_ids` has to be a list of positive integers, "
                        + "but is " + GenUtil.pyRepr(badWordsIds) + ".");
            }
        }
        List<Integer> eos = eosTokenId == null ? List.of() : eosTokenId;
        Map<List<Integer>, Float> bias = new LinkedHashMap<>();
        for (List<Integer> ids : badWordsIds) {
            if (ids.size() == 1 && eos.contains(ids.get(0))) {
                continue;
            }
            bias.put(List.copyOf(ids), Float.NEGATIVE_INFINITY);
        }
        return bias;
    }
}
