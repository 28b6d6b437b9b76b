package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Classifier-free guidance with the unconditional branch computed by the model itself (negative prompt or the
 * prompt's last token). Port of Python's {@code UnbatchedClassifierFreeGuidanceLogitsProcessor}:
 * {@code g * (log_softmax(scores) - log_softmax(uncond)) + log_softmax(uncond)}.
 */
public final class UnbatchedClassifierFreeGuidanceLogitsProcessor implements LogitsProcessor, AutoCloseable {

    /** What the processor needs from the model: one forward of the unconditional branch. */
    @FunctionalInterface
    public interface Model {
        /** Returns the logits (batch, seq, vocab) and the cache to pass back next time. */
        Output forward(NDArray inputIds, NDArray attentionMask, boolean useCache, Object pastKeyValues);
    }

    public record Output(NDArray logits, Object pastKeyValues) {}

    private final double guidanceScale;
    private final Model model;
    private final boolean useCache;
    private NDArray unconditionalIds;
    private NDArray unconditionalMask;
    private Object pastKeyValues;
    private boolean firstPass = true;

    public UnbatchedClassifierFreeGuidanceLogitsProcessor(double guidanceScale, Model model, NDArray unconditionalIds,
            NDArray unconditionalAttentionMask, boolean useCache) {
        this.guidanceScale = guidanceScale;
        this.model = model;
        this.unconditionalIds = unconditionalIds;
        this.unconditionalMask = unconditionalAttentionMask;
        this.useCache = useCache;
    }

    NDArray unconditionalLogits(NDArray inputIds) {
        NDArray ids;
        NDArray mask;
        if (firstPass) {
            if (unconditionalIds == null) {
                unconditionalIds = kept(inputIds.get(new NDIndex(":, -1:")));
            }
            if (unconditionalMask == null) {
                unconditionalMask = kept(unconditionalIds.onesLike().toType(DataType.INT64, false));
            }
            ids = unconditionalIds;
            mask = unconditionalMask;
            firstPass = false;
        } else {
            NDArray last = inputIds.get(new NDIndex(":, -1:"));
            mask = unconditionalMask.concat(last.onesLike().toType(DataType.INT64, false), 1);
            ids = useCache ? last : unconditionalIds.concat(last, 1);
            unconditionalIds = kept(ids);
            unconditionalMask = kept(mask);
        }
        Output out = model.forward(ids, mask, useCache, pastKeyValues);
        Object previous = pastKeyValues;
        pastKeyValues = out.pastKeyValues();
        if (pastKeyValues instanceof java.util.List<?>) {
            // a legacy cache: kept across steps, the replaced one freed
            for (NDArray t : PastKeyValues.tensors(pastKeyValues)) {
                NDScope.unregister(t);
            }
            if (previous instanceof java.util.List<?>) {
                PastKeyValues.closeReplaced(previous, pastKeyValues);
            }
        }
        return out.logits();
    }

    /**
     * The unconditional context lives across generate()'s steps, each of which runs in its own NDScope: out of the
     * step's scope (freed with the call's manager).
     */
    private static NDArray kept(NDArray a) {
        NDScope.unregister(a);
        return a;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        NDArray logp = scores.logSoftmax(-1);
        if (guidanceScale == 1) {
            return logp;
        }
        NDArray logits = unconditionalLogits(inputIds);
        NDArray uncond = logits.get(new NDIndex(":, -1")).logSoftmax(-1);
        NDArray out = logp.sub(uncond).mul((float) guidanceScale).add(uncond);
        logp.close();
        uncond.close();
        return out;
    }

    @Override
    public void close() {
        if (pastKeyValues instanceof AutoCloseable c) {
            try {
                c.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
