package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Classifier-free guidance for batched conditional + unconditional scores (MusicGen): the first half of the rows
 * is conditional, the second half unconditional; returns {@code uncond + (cond - uncond) * guidanceScale}. Port of
 * Python's {@code ClassifierFreeGuidanceLogitsProcessor}.
 */
public final class ClassifierFreeGuidanceLogitsProcessor implements LogitsProcessor {
    private final double guidanceScale;

    public ClassifierFreeGuidanceLogitsProcessor(double guidanceScale) {
        if (!(guidanceScale > 1)) {
            throw new IllegalArgumentException("Require guidance scale >1 to use the classifier free guidance processor, "
                    + "got guidance scale " + GenUtil.pyFloat(guidanceScale) + ".");
        }
        this.guidanceScale = guidanceScale;
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int rows = GenUtil.batch(scores);
        int idRows = GenUtil.batch(inputIds);
        if (rows != 2 * idRows) {
            throw new IllegalArgumentException("Logits should have twice the batch size of the input ids, the first half "
                    + "of batches corresponding to the conditional inputs, and the second half of batches corresponding "
                    + "to the unconditional inputs. Got batch size " + rows + " for the logits and " + idRows
                    + " for the input ids.");
        }
        int v = GenUtil.vocab(scores);
        int half = rows / 2;
        float g = (float) guidanceScale;
        float[] s = GenUtil.floats(scores);
        float[] out = new float[half * v];
        for (int i = 0; i < half * v; i++) {
            float cond = s[i];
            float uncond = s[half * v + i];
            out[i] = uncond + (cond - uncond) * g;
        }
        return GenUtil.like(scores, out, new Shape(half, v));
    }
}
