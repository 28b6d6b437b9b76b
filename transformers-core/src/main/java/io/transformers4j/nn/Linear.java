package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;

/** {@code torch.nn.Linear}: y = x W^T + b, weight (out_features, in_features). */
public final class Linear {
    public final NDArray weight; // (out, in)
    public final NDArray bias;   // (out) or null

    /** Loads {@code weight} and, when {@code bias}, {@code bias} from the view {@code w}. */
    public Linear(Weights w, long inFeatures, long outFeatures, boolean bias) {
        this.weight = w.get("weight", Init.NORMAL, outFeatures, inFeatures);
        this.bias = bias ? w.get("bias", Init.ZEROS, outFeatures) : null;
    }

    /** A Linear over existing tensors (tied weights). */
    public Linear(NDArray weight, NDArray bias) {
        this.weight = weight;
        this.bias = bias;
    }

    public NDArray forward(NDArray x) {
        return linear(x, weight, bias);
    }

    /** Stateless form; the activation comes first so the result lands in the activation's manager. */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return bias == null
                ? ai.djl.nn.core.Linear.linear(x, weight).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }
}
