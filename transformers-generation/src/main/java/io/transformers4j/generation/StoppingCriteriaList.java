package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A row is done when any criterion says so. Port of Python's {@code StoppingCriteriaList}. */
public class StoppingCriteriaList extends ArrayList<StoppingCriteria> implements StoppingCriteria {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(StoppingCriteriaList.class);

    public StoppingCriteriaList() {}

    public StoppingCriteriaList(Collection<? extends StoppingCriteria> criteria) {
        super(criteria);
    }

    public static StoppingCriteriaList of(StoppingCriteria... criteria) {
        return new StoppingCriteriaList(java.util.List.of(criteria));
    }

    @Override
    public boolean[] isDone(NDArray inputIds, NDArray scores) {
        boolean[] done = StoppingCriteria.full(inputIds, false);
        for (StoppingCriteria c : this) {
            boolean[] d = c.isDone(inputIds, scores);
            if (d.length != done.length) {
                throw new IllegalStateException(c.getClass().getSimpleName() + " returned " + d.length
                        + " verdicts for " + done.length + " rows");
            }
            for (int i = 0; i < done.length; i++) {
                done[i] |= d[i];
            }
        }
        return done;
    }

    /** The max_length of the first MaxLength / MaxNewTokens criterion, or null. */
    public Integer maxLength() {
        for (StoppingCriteria c : this) {
            if (c instanceof MaxLengthCriteria m) {
                return m.maxLength();
            } else if (c instanceof MaxNewTokensCriteria m) {
                return m.maxLength();
            }
        }
        return null;
    }

    /**
     * Python's {@code validate_stopping_criteria}: a copy that has a max-length criterion (warns when the list's
     * max_length differs from {@code maxLength}).
     */
    public static StoppingCriteriaList validateStoppingCriteria(StoppingCriteriaList criteria, int maxLength) {
        Integer stoppingMaxLength = criteria.maxLength();
        StoppingCriteriaList copy = new StoppingCriteriaList(criteria);
        if (stoppingMaxLength != null && stoppingMaxLength != maxLength) {
            LOG.warn("You set different `max_length` for stopping criteria and `max_length` parameter");
        } else if (stoppingMaxLength == null) {
            copy.add(new MaxLengthCriteria(maxLength));
        }
        return copy;
    }
}
