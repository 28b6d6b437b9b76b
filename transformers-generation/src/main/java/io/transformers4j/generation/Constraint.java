package io.transformers4j.generation;

import java.util.List;

/**
 * A positive constraint for constrained beam search: how it can be satisfied one token at a time. Port of Python's
 * {@code Constraint} (beam_constraints.py). Implementations are mutable state machines; {@link #copy(boolean)}
 * makes a fresh (or stateful) copy.
 *
 * <p>Every constraint must satisfy: repeatedly {@code update(advance())} eventually completes it; {@link #test()}
 * checks that for a custom constraint.
 */
public abstract class Constraint {

    /** Result of {@link #update}: progress made, constraint completed, progress reset. */
    public record UpdateResult(boolean stepped, boolean completed, boolean reset) {}

    /** Maximum number of steps to complete (Python's {@code seqlen}). */
    public abstract int seqlen();

    /** The tokens that would make progress, or null when none (completed). */
    public abstract List<Integer> advance();

    public abstract boolean doesAdvance(int tokenId);

    public abstract UpdateResult update(int tokenId);

    public abstract void reset();

    /** Steps still needed. */
    public abstract int remaining();

    public abstract boolean completed();

    public abstract Constraint copy(boolean stateful);

    public Constraint copy() {
        return copy(false);
    }

    /** Python's {@code Constraint.test()}: drives the constraint to completion through its own advance(). */
    public void test() {
        int counter = 0;
        boolean completed = false;
        while (!completed) {
            if (counter == 1) {
                reset();
            }
            List<Integer> advance = advance();
            if (advance == null || advance.isEmpty() || !doesAdvance(advance.get(0))) {
                throw new IllegalStateException(
                        "Custom Constraint is not defined correctly. self.does_advance(self.advance()) must be true.");
            }
            completed = update(advance.get(0)).completed();
            counter++;
            if (counter > 10000) {
                throw new IllegalStateException("update() does not fulfill the constraint.");
            }
        }
        if (remaining() != 0) {
            throw new IllegalStateException("Custom Constraint is not defined correctly.");
        }
    }
}
