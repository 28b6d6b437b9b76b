package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Restricts each step to the tokens {@code prefixAllowedTokensFn(batchId, sentence)} allows. Port of Python's
 * {@code PrefixConstrainedLogitsProcessor}: a mask of -inf with zeros at the allowed tokens is added to the scores.
 */
public final class PrefixConstrainedLogitsProcessor implements LogitsProcessor {

    /** Python's {@code prefix_allowed_tokens_fn(batch_id, input_ids) -> List[int]}. */
    @FunctionalInterface
    public interface PrefixAllowedTokensFn {
        List<Integer> allowedTokens(int batchId, long[] inputIds);
    }

    private final PrefixAllowedTokensFn fn;
    private final int numBeams;

    public PrefixConstrainedLogitsProcessor(PrefixAllowedTokensFn prefixAllowedTokensFn, int numBeams) {
        if (prefixAllowedTokensFn == null) {
            throw new IllegalArgumentException("`prefix_allowed_tokens_fn` is required");
        }
        if (numBeams < 1) {
            throw new IllegalArgumentException("`num_beams` has to be a positive integer, but is " + numBeams);
        }
        this.fn = prefixAllowedTokensFn;
        this.numBeams = numBeams;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int v = GenUtil.vocab(scores);
        long[][] ids = GenUtil.rows(inputIds, "input_ids");
        float[] s = GenUtil.floats(scores);
        float[] mask = new float[s.length];
        java.util.Arrays.fill(mask, Float.NEGATIVE_INFINITY);
        for (int row = 0; row < ids.length; row++) {
            int batchId = row / numBeams;
            List<Integer> allowed = fn.allowedTokens(batchId, ids[row]);
            if (allowed == null || allowed.isEmpty()) {
                throw new IllegalArgumentException("`prefix_allowed_tokens_fn` returned an empty list for batch ID "
                        + batchId + ".This means that the constraint is unsatisfiable. Please check your implementation"
                        + "of `prefix_allowed_tokens_fn` ");
            }
            for (int t : allowed) {
                mask[row * v + GenUtil.column(t, v)] = 0;
            }
        }
        for (int i = 0; i < s.length; i++) {
            s[i] = s[i] + mask[i];
        }
        return GenUtil.like(scores, s);
    }
}
