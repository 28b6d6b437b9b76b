package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Map;

/**
 * Diverse (group) beam search: penalises tokens the previous beam groups chose at this step. Port of Python's
 * {@code HammingDiversityLogitsProcessor}. It needs {@code current_tokens} and {@code beam_group_idx}: call
 * {@link #process(NDArray, NDArray, NDArray, int)} or pass them as kwargs through a {@link LogitsProcessorList}.
 */
public final class HammingDiversityLogitsProcessor implements LogitsProcessor {
    private final float diversityPenalty;
    private final int numBeams;
    private final int numSubBeams;

    public HammingDiversityLogitsProcessor(double diversityPenalty, int numBeams, int numBeamGroups) {
        if (!(diversityPenalty > 0.0)) {
            throw new IllegalArgumentException("`diversity_penalty` should be a float strictly larger than 0.");
        }
        if (numBeams < 2) {
            throw new IllegalArgumentException("`num_beams` should be an integer strictly larger than 1.");
        }
        if (numBeamGroups < 2) {
            throw new IllegalArgumentException("`num_beam_groups` should be an integer strictly larger than 1.");
        }
        if (numBeamGroups > numBeams) {
            throw new IllegalArgumentException("`beam_groups` has to be smaller or equal to `num_beams`.");
        }
        this.diversityPenalty = (float) diversityPenalty;
        this.numBeams = numBeams;
        this.numSubBeams = numBeams / numBeamGroups;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        throw new IllegalArgumentException("Make sure that all the required parameters: "
                + "['input_ids', 'scores', 'current_tokens', 'beam_group_idx'] for "
                + "<class 'transformers.generation.logits_process.HammingDiversityLogitsProcessor'> are passed to the "
                + "logits processor.");
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores, Map<String, Object> kwargs) {
        Object tokens = kwargs.get("current_tokens");
        Object group = kwargs.get("beam_group_idx");
        if (!(tokens instanceof NDArray) || !(group instanceof Number)) {
            return process(inputIds, scores);
        }
        return process(inputIds, scores, (NDArray) tokens, ((Number) group).intValue());
    }

    public NDArray process(NDArray inputIds, NDArray scores, NDArray currentTokens, int beamGroupIdx) {
        long[] current = currentTokens.toType(DataType.INT64, false).toLongArray();
        int batchSize = current.length / numBeams;
        int groupStart = beamGroupIdx * numSubBeams;
        int groupEnd = Math.min(groupStart + numSubBeams, numBeams);
        int groupSize = groupEnd - groupStart;
        int v = GenUtil.vocab(scores);
        if (groupStart == 0) {
            return scores;
        }
        float[] s = GenUtil.floats(scores);
        for (int b = 0; b < batchSize; b++) {
            int[] freq = new int[v];
            for (int i = b * numBeams; i < b * numBeams + groupStart; i++) {
                freq[GenUtil.column(current[i], v)]++;
            }
            for (int r = b * groupSize; r < (b + 1) * groupSize; r++) {
                for (int j = 0; j < v; j++) {
                    s[r * v + j] = s[r * v + j] - diversityPenalty * (float) freq[j];
                }
            }
        }
        return GenUtil.like(scores, s);
    }

    static List<String> requiredArguments() {
        return List.of("current_tokens", "beam_group_idx");
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
