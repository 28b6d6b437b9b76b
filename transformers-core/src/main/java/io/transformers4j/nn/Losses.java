package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** The losses Python's heads compute when labels are given (torch.nn.CrossEntropyLoss, MSELoss, BCEWithLogitsLoss). */
public final class Losses {
    private Losses() {}

    /** CrossEntropyLoss's default ignore_index. */
    public static final long IGNORE_INDEX = -100;

    /**
     * Mean cross-entropy of {@code logits} (N, C) against integer {@code labels} (N), skipping labels equal to -100,
     * like {@code CrossEntropyLoss()(logits.view(-1, C), labels.view(-1))}. A scalar (NaN when every label is
     * ignored, as in PyTorch).
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        long c = logits.getShape().get(logits.getShape().dimension() - 1);
        NDArray flat = logits.reshape(-1, c);
        NDArray y = labels.reshape(-1).toType(DataType.INT64, false);
        NDArray keep = y.neq(IGNORE_INDEX);
        NDArray safe = y.mul(keep.toType(DataType.INT64, false)); // ignored rows pick class 0, then get weight 0
        NDArray logp = flat.logSoftmax(-1);
        NDArray picked = logp.mul(safe.oneHot((int) c, DataType.FLOAT32)).sum(new int[] {-1});
        NDArray w = keep.toType(DataType.FLOAT32, false);
        return picked.mul(w).sum().neg().div(w.sum());
    }

    /** MSELoss: mean of squared differences (shapes must match after squeezing, as the heads arrange). */
    public static NDArray mse(NDArray input, NDArray target) {
        NDArray d = input.sub(target.toType(input.getDataType(), false));
        return d.mul(d).mean();
    }

    /** BCEWithLogitsLoss: mean of max(x,0) - x*y + log(1 + exp(-|x|)). */
    public static NDArray bceWithLogits(NDArray logits, NDArray targets) {
        NDArray y = targets.toType(logits.getDataType(), false);
        NDArray loss = logits.maximum(0f).sub(logits.mul(y)).add(logits.abs().neg().exp().add(1f).log());
        return loss.mean();
    }
}
