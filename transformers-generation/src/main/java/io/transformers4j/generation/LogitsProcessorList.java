package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;

/**
 * Applies its processors in order. Port of Python's {@code LogitsProcessorList} (a list that is also callable).
 * Intermediate score tensors are closed as soon as the next processor has consumed them; the input is never closed.
 */
public class LogitsProcessorList extends ArrayList<LogitsProcessor> implements LogitsProcessor {
    private static final long serialVersionUID = 1L;

    public LogitsProcessorList() {}

    public LogitsProcessorList(Collection<? extends LogitsProcessor> processors) {
        super(processors);
    }

    public static LogitsProcessorList of(LogitsProcessor... processors) {
        return new LogitsProcessorList(java.util.List.of(processors));
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        return process(inputIds, scores, Map.of());
    }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores, Map<String, Object> kwargs) {
        NDArray current = scores;
        for (LogitsProcessor p : this) {
            NDArray next = p.process(inputIds, current, kwargs);
            if (next != current && current != scores) {
                current.close();
            }
            current = next;
        }
        return current;
    }

    /** The processed scores, and what Python's input tensor holds after the call (see below). */
    public record TrackedResult(NDArray scores, NDArray pythonInputAfterCall) {}

    /**
     * Like {@link #process}, and also returns the state Python's input tensor is left in: Python's processors that
     * work in place ({@link LogitsProcessor#inPlaceInPython()}) modify the caller's tensor until the first one that
     * returns a new tensor, so generate() 4.39 records those modified values as the step's raw {@code logits}.
     * {@code pythonInputAfterCall} is {@code scores} itself when nothing modified it; otherwise a tensor the caller
     * owns (close it, unless it is the returned {@code scores}).
     */
    public TrackedResult processTrackingPythonAliasing(NDArray inputIds, NDArray scores, Map<String, Object> kwargs) {
        NDArray current = scores;
        NDArray aliased = scores;
        boolean stillAliased = true;
        for (LogitsProcessor p : this) {
            NDArray next = p.process(inputIds, current, kwargs);
            if (next != current) {
                if (stillAliased && p.inPlaceInPython()) {
                    aliased = next;
                } else {
                    stillAliased = false;
                }
            }
            if (next != current && current != scores && current != aliased) {
                current.close();
            }
            current = next;
        }
        return new TrackedResult(current, aliased);
    }
}
