package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.Bf16Gemv;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;

/** {@code torch.nn.Linear}: y = x W^T + b, weight (out_features, in_features). */
public final class Linear {
    public final NDArray weight; // (out, in)
    public final NDArray bias;   // (out) or null
    /**
     * How one-row inputs (a decoding step) are computed, decided at the first one-row call: {@link Bf16Gemv}'s kernel
     * for a bfloat16 weight without bias where it is available, else oneDNN for such a weight, else at::linear.
     */
    private volatile OneRow oneRow;

    private record OneRow(Bf16Gemv.Weight gemv, boolean oneDnn) {}

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
        if (isOneRow(x)) {
            OneRow r = oneRow;
            if (r == null) {
                boolean bf16NoBias = bias == null && TorchOps.dtypeOf(weight) == DType.BF16;
                r = new OneRow(bf16NoBias ? Bf16Gemv.prepare(weight) : null,
                        bf16NoBias && TorchOps.hasMkldnnLinear());
                oneRow = r;
            }
            if (r.gemv() != null) {
                NDArray y = Bf16Gemv.linear(x, r.gemv());
                if (y != null) {
                    return y;
                }
            }
            if (r.oneDnn()) {
                return TorchOps.mkldnnLinear(x, weight, null);
            }
        }
        return atLinear(x, weight, bias);
    }

    /**
     * Stateless form; the activation comes first so the result lands in the activation's manager.
     *
     * <p>One bfloat16 row without bias (a decoding step) goes to {@link Bf16Gemv}'s kernel where it is available
     * (faster at reading the weight; same numbers to one bfloat16 rounding), else to oneDNN's matmul directly
     * ({@link TorchOps#mkldnnLinear}): at::linear reaches the same library through addmm, whose per-call set-up costs
     * as much as reading the weight at this size (measured 1.5-2.3x slower for 256x1024 to 32000x1024 weights). The
     * result can differ from at::linear's by one bfloat16 ulp where the two split the reduction differently; with
     * more rows at::linear is as fast or faster and is kept.
     */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        if (bias == null && isOneRow(x) && TorchOps.dtypeOf(weight) == DType.BF16) {
            Bf16Gemv.Weight w = Bf16Gemv.prepare(weight);
            NDArray y = w == null ? null : Bf16Gemv.linear(x, w);
            if (y != null) {
                return y;
            }
            if (TorchOps.hasMkldnnLinear()) {
                return TorchOps.mkldnnLinear(x, weight, null);
            }
        }
        return atLinear(x, weight, bias);
    }

    private static NDArray atLinear(NDArray x, NDArray weight, NDArray bias) {
        return bias == null
                ? ai.djl.nn.core.Linear.linear(x, weight).singletonOrThrow()
                : ai.djl.nn.core.Linear.linear(x, weight, bias).singletonOrThrow();
    }

    private static boolean isOneRow(NDArray x) {
        Shape s = x.getShape();
        return s.dimension() >= 1 && s.size() == s.get(s.dimension() - 1);
    }
}
