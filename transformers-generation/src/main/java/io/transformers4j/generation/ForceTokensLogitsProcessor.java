package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forces a token at given generation indices ({@code input_ids} length): all other scores -inf, the forced one 0.
 * Port of Python's {@code ForceTokensLogitsProcessor} (deprecated in 4.39 in favour of decoder prompts).
 */
public final class ForceTokensLogitsProcessor implements LogitsProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(ForceTokensLogitsProcessor.class);
    private static final AtomicBoolean WARNED = new AtomicBoolean();

    private final Map<Integer, Integer> forceTokenMap;

    /** {@code forceTokenMap}: pairs {@code [generation index, token]}. */
    public ForceTokensLogitsProcessor(List<List<Integer>> forceTokenMap) {
        this(forceTokenMap, false);
    }

    public ForceTokensLogitsProcessor(List<List<Integer>> forceTokenMap, boolean hasWarned) {
        Map<Integer, Integer> m = new LinkedHashMap<>();
        for (List<Integer> pair : forceTokenMap) {
            if (pair == null || pair.size() != 2) {
                throw new IllegalArgumentException("`force_token_map` must hold [index, token] pairs, got "
                        + GenUtil.pyRepr(forceTokenMap));
            }
            m.put(pair.get(0), pair.get(1));
        }
        this.forceTokenMap = m;
        if (!hasWarned && WARNED.compareAndSet(false, true)) {
            LOG.warn("This `ForceTokensLogitsProcessor` has been deprecated and will be removed in v4.40. Should you "
                    + "need to provide prompt ids for generation, specify `input_ids` to the generate method for "
                    + "decoder-only models, or `decoder_input_ids` for encoder-decoder models.");
        }
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        Integer token = forceTokenMap.get(GenUtil.seqLen(inputIds));
        if (token == null) {
            return scores;
        }
        return ForcedBOSTokenLogitsProcessor.forceOnly(scores, new int[] {token});
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
