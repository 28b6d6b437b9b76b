package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;

/**
 * GPT-2's {@code Conv1D} (pytorch_utils.py): a Linear whose weight is stored transposed, (in_features, out_features),
 * because the original TensorFlow GPT-2 kept it that way. We keep the checkpoint layout and compute x W + b.
 */
public final class Conv1D {
    public final NDArray weight; // (in, out): transposed relative to nn.Linear
    public final NDArray bias;   // (out)

    public Conv1D(Weights w, long nx, long nf) {
        this.weight = w.get("weight", Init.NORMAL, nx, nf);
        this.bias = w.get("bias", Init.ZEROS, nf);
    }

    public NDArray forward(NDArray x) {
        // addmm(bias, x, W) over the last dimension; matMul broadcasts x's leading dims.
        return x.matMul(weight).addi(bias);
    }
}
