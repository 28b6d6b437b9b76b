package io.transformers4j.evaluation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.torch.Torch;
import java.util.ArrayList;
import java.util.List;

/**
 * Perplexity of a causal language model over a long text, with the strided sliding window of Python's documentation
 * ("Perplexity of fixed-length models", perplexity.md).
 *
 * <p>Windows of at most {@code maxLength} tokens start every {@code stride} tokens; each window scores only the tokens
 * the previous window did not reach (its last {@code trg_len} tokens, the rest labelled -100), so every token is
 * predicted once, with up to {@code maxLength - stride} tokens of context before it. The model's own shifted LM loss
 * is each window's negative log-likelihood, and {@code ppl = exp(mean(nlls))}: the unweighted mean of the documented
 * recipe (the last window counts as much as a full one).
 *
 * <pre>{@code
 * try (GPT2LMHeadModel model = GPT2LMHeadModel.fromPretrained("openai-community/gpt2")) {
 *     Perplexity.Result r = Perplexity.compute(model, inputIds, 1024, 512, (done, total) -> bar.step());
 *     System.out.println(r.ppl());
 * }
 * }</pre>
 *
 * Any model works whose {@code forward} accepts {@code input_ids} and {@code labels} and returns a {@code loss}.
 */
public final class Perplexity {

    private Perplexity() {}

    /** Told after each window, e.g. to draw a progress bar. */
    @FunctionalInterface
    public interface Progress {
        void windowDone(int windowsDone, int totalWindows);
    }

    /**
     * The recipe's results.
     *
     * @param nlls each window's mean negative log-likelihood (the model's loss), in window order
     * @param ppl exp(mean(nlls)), computed in float32 like the Python recipe
     * @param windowBegins each window's first token index ({@code begin_loc})
     * @param windowEnds each window's end, exclusive ({@code end_loc})
     * @param trgLens how many of each window's last tokens it scores ({@code trg_len})
     */
    public record Result(float[] nlls, float ppl, long[] windowBegins, long[] windowEnds, long[] trgLens) {
        public int numWindows() {
            return nlls.length;
        }
    }

    /** {@link #compute(PreTrainedModel, NDArray, int, int, Progress)} without progress reports. */
    public static Result compute(PreTrainedModel model, NDArray inputIds, int maxLength, int stride) {
        return compute(model, inputIds, maxLength, stride, null);
    }

    /**
     * Runs the sliding window over {@code inputIds}.
     *
     * @param inputIds (batch, seq_len) token ids of the whole text, usually batch 1
     * @param maxLength the window length: at most the model's context size (GPT-2: n_positions)
     * @param stride how far each window starts after the previous one, 1 <= stride; stride = maxLength gives disjoint
     *     windows (fastest, least context), smaller strides give more context per scored token
     */
    public static Result compute(PreTrainedModel model, NDArray inputIds, int maxLength, int stride,
            Progress progress) {
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be >= 1, got " + maxLength);
        }
        if (stride < 1) {
            throw new IllegalArgumentException("stride must be >= 1, got " + stride);
        }
        Shape shape = inputIds.getShape();
        if (shape.dimension() != 2 || shape.get(1) < 1) {
            throw new IllegalArgumentException("inputIds must be (batch, seq_len) with seq_len >= 1, got " + shape);
        }
        Torch.ensureThreadReady();
        long seqLen = shape.get(1);

        // The windows, as the Python loop visits them (it stops at the first window that reaches the end).
        List<long[]> windows = new ArrayList<>(); // {begin_loc, end_loc, trg_len}
        long prevEndLoc = 0;
        for (long beginLoc = 0; beginLoc < seqLen; beginLoc += stride) {
            long endLoc = Math.min(beginLoc + maxLength, seqLen);
            long trgLen = endLoc - prevEndLoc; // may differ from stride on the last window
            windows.add(new long[] {beginLoc, endLoc, trgLen});
            prevEndLoc = endLoc;
            if (endLoc == seqLen) {
                break;
            }
        }

        int n = windows.size();
        float[] nlls = new float[n];
        long[] begins = new long[n];
        long[] ends = new long[n];
        long[] trgLens = new long[n];
        NDManager m = inputIds.getManager();
        for (int i = 0; i < n; i++) {
            long[] win = windows.get(i);
            begins[i] = win[0];
            ends[i] = win[1];
            trgLens[i] = win[2];
            try (NDScope scope = new NDScope()) {
                NDArray ids = inputIds.get(new NDIndex(":, {}:{}", win[0], win[1])).toType(DataType.INT64, false);
                // target_ids[:, :-trg_len] = -100: the context tokens an earlier window already scored.
                long windowLen = win[1] - win[0];
                long context = Math.max(0, windowLen - win[2]);
                NDArray labels = ids.duplicate();
                if (context > 0) {
                    labels.set(new NDIndex(":, :{}", context), -100);
                }
                ModelOutput out = model.forward(ModelInputs.builder().inputIds(ids).labels(labels).build());
                try {
                    NDArray loss = out.toMap().get("loss");
                    if (loss == null) {
                        throw new IllegalArgumentException(model.getClass().getSimpleName()
                                + ".forward returned no loss for labels: perplexity needs a causal LM head");
                    }
                    nlls[i] = loss.toType(DataType.FLOAT32, false).getFloat();
                } finally {
                    out.close();
                }
            }
            if (progress != null) {
                progress.windowDone(i + 1, n);
            }
        }
        float ppl;
        try (NDManager sub = NDManager.newBaseManager(m.getDevice())) {
            // torch.exp(torch.stack(nlls).mean()): float32, as the recipe computes it.
            ppl = sub.create(nlls).mean().exp().getFloat();
        }
        return new Result(nlls, ppl, begins, ends, trgLens);
    }
}
