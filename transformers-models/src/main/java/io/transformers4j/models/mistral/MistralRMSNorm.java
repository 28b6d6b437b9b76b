package io.transformers4j.models.mistral;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.RMSNorm;
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;

/** Port of {@code MistralRMSNorm} (copied from LlamaRMSNorm): float32 statistics, cast back, then the weight. */
final class MistralRMSNorm {
    private final NDArray weight; // (hidden)
    private final float eps;
    private final NDArray varianceEpsilon; // float32 scalar, made once: it is added once per norm per token

    MistralRMSNorm(Weights w, int hiddenSize, double eps) {
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
