package io.transformers4j.generation;

import java.util.List;

/**
 * The output must contain {@code tokenIds} in order. Port of Python's {@code PhrasalConstraint}, including its
 * reset rule: after a wrong token the progress index goes back to 0 (not -1), so the first token stays counted,
 * exactly as Python 4.39 does.
 */
public final class PhrasalConstraint extends Constraint {
    private final List<Integer> tokenIds;
    private int fulfilledIdx = -1;
    private boolean completed;

    public PhrasalConstraint(List<Integer> tokenIds) {
        if (tokenIds == null || tokenIds.isEmpty()) {
            throw new IllegalArgumentException("`token_ids` has to be a non-empty list, but is "
                    + GenUtil.pyRepr(tokenIds) + ".");
        }
        if (tokenIds.stream().anyMatch(t -> t == null || t < 0)) {
            throw new IllegalArgumentException("Each list in `token_ids` has to be a list of positive integers, but is "
                    + GenUtil.pyRepr(tokenIds) + ".");
        }
        this.tokenIds = List.copyOf(tokenIds);
    }

    public List<Integer> tokenIds() { return tokenIds; }

    @Override public int seqlen() { return tokenIds.size(); }

    @Override
    public List<Integer> advance() {
        return completed ? null : List.of(tokenIds.get(fulfilledIdx + 1));
    }

    @Override
    public boolean doesAdvance(int tokenId) {
        return !completed && tokenId == tokenIds.get(fulfilledIdx + 1);
    }

    @Override
    public UpdateResult update(int tokenId) {
        boolean stepped = false;
        boolean complete = false;
        boolean reset = false;
        if (doesAdvance(tokenId)) {
            fulfilledIdx++;
            stepped = true;
            if (fulfilledIdx == tokenIds.size() - 1) {
                complete = true;
            }
            completed = complete;
        } else {
            reset = true;
            reset();
        }
        return new UpdateResult(stepped, complete, reset);
    }

    @Override
    public void reset() {
        completed = false;
        fulfilledIdx = 0;
    }

    @Override
    public int remaining() {
        return tokenIds.size() - (fulfilledIdx + 1);
    }

    @Override public boolean completed() { return completed; }

    @Override
    public PhrasalConstraint copy(boolean stateful) {
        PhrasalConstraint c = new PhrasalConstraint(tokenIds);
        if (stateful) {
            c.fulfilledIdx = fulfilledIdx;
            c.completed = completed;
        }
        return c;
    }

    @Override
    public String toString() {
        return "PhrasalConstraint" + tokenIds;
    }
}
