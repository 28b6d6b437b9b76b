package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.torch.TorchOps;

/** The losses Python's heads compute when labels are given (torch.nn.CrossEntropyLoss, MSELoss, BCEWithLogitsLoss). */
public final class Losses {
    private Losses() {}

    /** CrossEntropyLoss's default ignore_index. */
    public static final long IGNORE_INDEX = -100;

    /**
     * The causal language-modelling loss of Python's *ForCausalLM / *LMHeadModel heads: the scores at position t are
     * judged against the label at t + 1 ({@code logits[..., :-1, :]} against {@code labels[..., 1:]}), labels of -100
     * ignored, mean over the rest.
     *
     * @param logits (..., seq, vocab)
     * @param labels (..., seq)
     */
    public static NDArray nextTokenCrossEntropy(NDArray logits, NDArray labels) {
        long seq = logits.getShape().get(logits.getShape().dimension() - 2);
        return crossEntropy(logits.get(new NDIndex("..., :{}, :", seq - 1)), labels.get(new NDIndex("..., 1:")));
    }

    /**
     * Mean cross-entropy of {@code logits} (N, C) against integer {@code labels} (N), skipping labels equal to -100,
     * like {@code CrossEntropyLoss()(logits.view(-1, C), labels.view(-1))}. A scalar (NaN when every label is
     * ignored, as in PyTorch); float32 for float32 and float16 logits.
     *
     * @throws IllegalArgumentException for a label outside [0, C) that is not -100 (PyTorch: "Target ... is out of
     *     bounds")
     */
    public static NDArray crossEntropy(NDArray logits, NDArray labels) {
        long c = logits.getShape().get(logits.getShape().dimension() - 1);
        NDArray flat = logits.reshape(-1, c); // (N, C)
        NDArray y = labels.reshape(-1).toType(DataType.INT64, false); // (N)
        NDArray keep = y.neq(IGNORE_INDEX);
        checkLabelRange(y, keep, c);
        NDArray safe = y.mul(keep.toType(DataType.INT64, false)); // ignored rows pick class 0, then get weight 0
        NDArray logp = flat.logSoftmax(-1);
        // nll_loss: the log-probability at each row's label, gathered (N values) rather than picked by a (N, C)
        // one-hot product, which for GPT-2's 50257-token vocabulary cost ~200 MB per 1024-token window.
        NDArray picked = logp.gather(safe.reshape(-1, 1), 1).reshape(-1);
        // Zero the ignored rows before weighting: class 0's log-probability may be -inf, and -inf * 0 is NaN.
        picked = TorchOps.maskedFill(picked, keep.logicalNot(), 0.0);
        // The float32 weight promotes a float16 log-probability, so the sum and the mean are taken in float32.
        NDArray w = keep.toType(DataType.FLOAT32, false);
        return picked.mul(w).sum().neg().div(w.sum());
    }

    private static void checkLabelRange(NDArray y, NDArray keep, long numClasses) {
        NDArray bad = keep.logicalAnd(y.lt(0L).logicalOr(y.gte(numClasses)));
        if (bad.any().getBoolean()) {
            long first = y.get(bad).getLong(0);
            throw new IllegalArgumentException("Cross-entropy label " + first + " is out of bounds for " + numClasses
                    + " classes (labels must be in [0, " + numClasses + ") or " + IGNORE_INDEX + " to be ignored)");
        }
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
