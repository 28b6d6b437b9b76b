package io.transformers4j.models.llama;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.RMSNorm;
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;

/**
 * Port of {@code LlamaRMSNorm}: {@code weight * (x / sqrt(mean(x^2) + eps))}, computed in float32 and cast back to
 * the input type before the weight multiplies it (see {@link RMSNorm#rmsNorm}).
 */
final class LlamaRMSNorm {
    private final NDArray weight; // (hidden)
    private final float eps;
    private final NDArray varianceEpsilon; // float32 scalar, made once: it is added once per norm per token

    LlamaRMSNorm(Weights w, int hiddenSize, double eps) {
        this.weight = w.get("weight", Init.ONES, hiddenSize);
        this.eps = (float) eps;
        this.varianceEpsilon = weight.getManager().create(this.eps);
    }

    NDArray weight() {
        return weight;
    }

    float eps() {
        return eps;
    }

    NDArray forward(NDArray hiddenStates) {
        return RMSNorm.rmsNorm(hiddenStates, weight, eps, varianceEpsilon);
    }
}
