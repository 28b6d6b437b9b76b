package io.transformers4j.generation;

import java.util.ArrayList;
import java.util.List;

/**
 * Fulfilled by generating any one of several token sequences. Port of Python's {@code DisjunctiveConstraint}.
 *
 * <p>Faithful to Python: a stateful {@link #copy(boolean)} shares the progress list with the original (Python
 * assigns the same list object), so advancing one copy advances the other until either resets. Constrained beam
 * search results depend on this.
 */
public final class DisjunctiveConstraint extends Constraint {
    private final DisjunctiveTrie trie;
    private final List<List<Integer>> tokenIds;
    private List<Integer> currentSeq = new ArrayList<>();
    private boolean completed;

    public DisjunctiveConstraint(List<List<Integer>> nestedTokenIds) {
        if (nestedTokenIds == null || nestedTokenIds.isEmpty()) {
            throw new IllegalArgumentException("`nested_token_ids` has to be a non-empty list, but is "
                    + GenUtil.pyRepr(nestedTokenIds) + ".");
        }
        for (List<Integer> ids : nestedTokenIds) {
            if (ids == null) {
                throw new IllegalArgumentException("`nested_token_ids` has to be a list of lists, but is "
                        + GenUtil.pyRepr(nestedTokenIds) + ".");
            }
        }
        for (List<Integer> ids : nestedTokenIds) {
            if (ids.stream().anyMatch(t -> t == null || t < 0)) {
                throw new IllegalArgumentException("Each list in `nested_token_ids` has to be a list of positive "
                        + "integers, but is " + GenUtil.pyRepr(nestedTokenIds) + ".");
            }
        }
        this.trie = new DisjunctiveTrie(nestedTokenIds);
        List<List<Integer>> copy = new ArrayList<>();
        nestedTokenIds.forEach(l -> copy.add(List.copyOf(l)));
        this.tokenIds = List.copyOf(copy);
    }

    public List<List<Integer>> tokenIds() { return tokenIds; }

    @Override public int seqlen() { return trie.maxHeight(); }

    @Override
    public List<Integer> advance() {
        List<Integer> next = trie.nextTokens(currentSeq);
        return next.isEmpty() ? null : next;
    }

    @Override
    public boolean doesAdvance(int tokenId) {
        return trie.nextTokens(currentSeq).contains(tokenId);
    }

    @Override
    public UpdateResult update(int tokenId) {
        boolean stepped = false;
        boolean reset = false;
        if (doesAdvance(tokenId)) {
            currentSeq.add(tokenId);
            stepped = true;
        } else {
            reset = true;
            reset();
        }
        boolean complete = trie.reachedLeaf(currentSeq);
        completed = complete;
        return new UpdateResult(stepped, complete, reset);
    }

    @Override
    public void reset() {
        completed = false;
        currentSeq = new ArrayList<>();
    }

    @Override
    public int remaining() {
        return completed ? 0 : trie.maxHeight() - currentSeq.size();
    }

    @Override public boolean completed() { return completed; }

    @Override
    public DisjunctiveConstraint copy(boolean stateful) {
        DisjunctiveConstraint c = new DisjunctiveConstraint(tokenIds);
        if (stateful) {
            c.currentSeq = currentSeq; // shared, as in Python
            c.completed = completed;
        }
        return c;
    }

    @Override
    public String toString() {
        return "DisjunctiveConstraint" + tokenIds;
    }
}
