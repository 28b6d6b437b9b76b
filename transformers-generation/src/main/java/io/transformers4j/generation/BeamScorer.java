package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Beam search bookkeeping: {@code process} picks the next beams from the top {@code 2 * num_beams} candidates and
 * collects finished hypotheses; {@code finalize} returns the best sequences. Port of Python's {@code BeamScorer}.
 */
public interface BeamScorer {

    /** (batch_size * group_size,) tensors: the running beams' scores, their next tokens, and the rows they extend. */
    record StepOutput(NDArray nextBeamScores, NDArray nextBeamTokens, NDArray nextBeamIndices) {}

    /** The chosen sequences (batch * num_return, len), their scores, and per-token beam indices (or null). */
    record FinalOutput(NDArray sequences, NDArray sequenceScores, NDArray beamIndices) {}

    boolean isDone();

    FinalOutput finalize(NDArray inputIds, NDArray finalBeamScores, NDArray finalBeamTokens, NDArray finalBeamIndices,
            Integer maxLength, Integer padTokenId, List<Integer> eosTokenId, long[][] beamIndices, int decoderPromptLen);
}
