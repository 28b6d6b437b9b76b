package io.transformers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;

/**
 * T5's layer norm: root-mean-square scaling only, no mean subtraction and no bias. Port of {@code T5LayerNorm}
 * (models/t5/modeling_t5.py); LongT5 uses the same layer (Python: {@code # Copied from}).
 *
 * <p>The variance is computed in float32 whatever the activation dtype, so half-precision inputs do not overflow;
 * the normalised states go back to the weight's dtype when that is half precision, as in Python.
 */
public final class T5LayerNorm {
    private final NDArray weight; // (hidden)
    private final float eps;

    public T5LayerNorm(Weights w, long hidden, double eps) {
        this.weight = w.get("weight", Init.ONES, hidden);
        this.eps = (float) eps;
    }

    public NDArray forward(NDArray hidden) {
        NDArray variance = hidden.toType(DataType.FLOAT32, false).pow(2).mean(new int[] {-1}, true); // (B, T, 1)
        NDArray normed = hidden.div(variance.add(eps).sqrt()); // hidden * rsqrt(variance + eps), within an ulp
        DataType wt = weight.getDataType();
        if (wt == DataType.FLOAT16) {
            normed = normed.toType(wt, false);
        }
        return normed.mul(weight);
    }
}
