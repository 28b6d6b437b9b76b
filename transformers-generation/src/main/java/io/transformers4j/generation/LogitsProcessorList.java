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
}
