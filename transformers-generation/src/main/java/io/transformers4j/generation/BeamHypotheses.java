package io.transformers4j.generation;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * The n best finished hypotheses of one batch entry. Port of Python's {@code BeamHypotheses}: score =
 * sum_logprobs / generated_len ** length_penalty (Python floats, i.e. doubles), worst hypothesis evicted when full.
 */
public final class BeamHypotheses {

    /** One finished hypothesis: its length-normalised score, tokens, and the beam index of each generated token. */
    public record Hypothesis(double score, long[] tokens, long[] beamIndices) {}

    private final int numBeams;
    private final double lengthPenalty;
    private final EarlyStopping earlyStopping;
    private final Integer maxLength;
    private final List<Hypothesis> beams = new ArrayList<>();
    private double worstScore = 1e9;

    public BeamHypotheses(int numBeams, double lengthPenalty, EarlyStopping earlyStopping, Integer maxLength) {
        this.numBeams = numBeams;
        this.lengthPenalty = lengthPenalty;
        this.earlyStopping = earlyStopping;
        this.maxLength = maxLength;
        if (earlyStopping == EarlyStopping.NEVER && maxLength == null) {
            throw new IllegalArgumentException("When `do_early_stopping` is set to a string, `max_length` must be "
                    + "defined. Ensure it is passed to the BeamScorer class instance at initialization time.");
        }
    }

    public int size() {
        return beams.size();
    }

    public List<Hypothesis> beams() {
        return Collections.unmodifiableList(beams);
    }

    public double worstScore() {
        return worstScore;
    }

    /** Adds a finished hypothesis; {@code generatedLen} null means "normalise by the whole length" (legacy). */
    public void add(long[] hyp, double sumLogprobs, long[] beamIndices, Integer generatedLen) {
        double len = generatedLen != null ? generatedLen : hyp.length;
        double score = sumLogprobs / Math.pow(len, lengthPenalty);
        if (beams.size() < numBeams || score > worstScore) {
            beams.add(new Hypothesis(score, hyp, beamIndices));
            if (beams.size() > numBeams) {
                // sorted([(s, idx) ...]): by score, then by index for equal scores
                List<Integer> order = new ArrayList<>();
                for (int i = 0; i < beams.size(); i++) {
                    order.add(i);
                }
                order.sort(Comparator.<Integer>comparingDouble(i -> beams.get(i).score()).thenComparingInt(i -> i));
                double secondWorst = beams.get(order.get(1)).score();
                beams.remove((int) order.get(0));
                worstScore = secondWorst;
            } else {
                worstScore = Math.min(score, worstScore);
            }
        }
    }

    /**
     * Whether no running beam can still beat the worst finished one. {@code bestSumLogprobs} is the best running
     * (unnormalised) score, {@code curLen} the length its score covers.
     */
    public boolean isDone(double bestSumLogprobs, int curLen, int decoderPromptLen) {
        if (beams.size() < numBeams) {
            return false;
        }
        if (earlyStopping == EarlyStopping.TRUE) {
            return true;
        }
        double highest;
        if (earlyStopping == EarlyStopping.FALSE) {
            highest = bestSumLogprobs / Math.pow(curLen - decoderPromptLen, lengthPenalty);
        } else if (lengthPenalty > 0.0) {
            if (maxLength <= decoderPromptLen) {
                throw new IllegalArgumentException("max_length is not larger than decoder prompt length");
            }
            highest = bestSumLogprobs / Math.pow(maxLength - decoderPromptLen, lengthPenalty);
        } else {
            highest = bestSumLogprobs / Math.pow(curLen - decoderPromptLen, lengthPenalty);
        }
        return worstScore >= highest;
    }
}
