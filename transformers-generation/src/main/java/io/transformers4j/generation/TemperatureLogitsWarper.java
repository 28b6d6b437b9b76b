package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;

/** Divides the scores by {@code temperature}. Port of Python's {@code TemperatureLogitsWarper}. */
public final class TemperatureLogitsWarper implements LogitsWarper {
    private final double temperature;

    public TemperatureLogitsWarper(double temperature) {
        if (!(temperature > 0)) {
            String msg = "`temperature` (=" + GenUtil.pyFloat(temperature) + ") has to be a strictly positive float, "
                    + "otherwise your next token scores will be invalid.";
            if (temperature == 0.0) {
                msg += " If you're looking for greedy decoding strategies, set `do_sample=False`.";
            }
            throw new IllegalArgumentException(msg);
        }
        this.temperature = temperature;
    }

    public double temperature() { return temperature; }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        // float32 / float32(temperature), as torch computes `scores / python_float` on float32 scores.
        float t = (float) temperature;
        float[] s = GenUtil.floats(scores);
        for (int i = 0; i < s.length; i++) {
            s[i] = s[i] / t;
        }
        return GenUtil.like(scores, s);
    }
}
