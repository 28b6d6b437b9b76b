package io.transformers4j.generation;

import java.util.ArrayList;
import java.util.List;

/**
 * Tracks a beam's progress through a list of constraints. Port of Python's {@code ConstraintListState}.
 */
public final class ConstraintListState {
    private final List<Constraint> constraints;
    private final int maxSeqlen;
    private final int nConstraints;
    private boolean completed;
    private List<Constraint> completeConstraints;
    private Constraint inprogressConstraint;
    private List<Constraint> pendingConstraints;

    /** Result of {@link #add}: (complete, stepped). */
    public record AddResult(boolean complete, boolean stepped) {}

    public ConstraintListState(List<Constraint> constraints) {
        if (constraints == null || constraints.isEmpty()) {
            throw new IllegalArgumentException("`constraints` has to be a non-empty list of Constraint");
        }
        this.constraints = constraints;
        int m = 0;
        for (Constraint c : constraints) {
            m = Math.max(m, c.seqlen());
        }
        this.maxSeqlen = m;
        this.nConstraints = constraints.size();
        initState();
    }

    public void initState() {
        completeConstraints = new ArrayList<>();
        inprogressConstraint = null;
        pendingConstraints = new ArrayList<>();
        for (Constraint c : constraints) {
            pendingConstraints.add(c.copy(false));
        }
    }

    public boolean completed() { return completed; }
    public int numConstraints() { return nConstraints; }
    public int numCompleteConstraints() { return completeConstraints.size(); }

    /** complete * max_seqlen + progress of the in-progress constraint: how far along this beam is. */
    public int getBank() {
        int add = 0;
        if (inprogressConstraint != null) {
            add += maxSeqlen - inprogressConstraint.remaining();
        }
        return completeConstraints.size() * maxSeqlen + add;
    }

    /** Tokens that make progress: the in-progress constraint's, else the first token of every pending one; or null. */
    public List<Integer> advance() {
        List<Integer> tokens = new ArrayList<>();
        if (inprogressConstraint == null) {
            for (Constraint c : pendingConstraints) {
                List<Integer> a = c.advance();
                if (a != null) {
                    tokens.addAll(a);
                }
            }
        } else {
            List<Integer> a = inprogressConstraint.advance();
            if (a != null) {
                tokens.addAll(a);
            }
        }
        return tokens.isEmpty() ? null : tokens;
    }

    /** Resets and replays {@code tokenIds} (stops once every constraint is fulfilled). */
    public void reset(List<Integer> tokenIds) {
        initState();
        if (tokenIds != null) {
            for (int t : tokenIds) {
                add(t);
                if (completed) {
                    break;
                }
            }
        }
    }

    public void reset(long[] tokenIds) {
        List<Integer> l = new ArrayList<>(tokenIds.length);
        for (long t : tokenIds) {
            l.add((int) t);
        }
        reset(l);
    }

    public AddResult add(int tokenId) {
        boolean complete = false;
        boolean stepped = false;
        if (completed) {
            return new AddResult(true, false);
        }
        if (inprogressConstraint != null) {
            Constraint.UpdateResult u = inprogressConstraint.update(tokenId);
            stepped = u.stepped();
            complete = u.completed();
            if (u.reset()) {
                pendingConstraints.add(inprogressConstraint.copy(false));
                inprogressConstraint = null;
            }
            if (complete) {
                completeConstraints.add(inprogressConstraint);
                inprogressConstraint = null;
                if (pendingConstraints.isEmpty()) {
                    completed = true;
                }
            }
        } else {
            for (int cidx = 0; cidx < pendingConstraints.size(); cidx++) {
                Constraint pending = pendingConstraints.get(cidx);
                if (pending.doesAdvance(tokenId)) {
                    Constraint.UpdateResult u = pending.update(tokenId);
                    stepped = u.stepped();
                    complete = u.completed();
                    if (!stepped) {
                        throw new IllegalStateException("`constraint.update(token_id)` is not yielding incremental "
                                + "progress, even though `constraint.does_advance(token_id)` is true.");
                    }
                    if (complete) {
                        completeConstraints.add(pending);
                        inprogressConstraint = null;
                    }
                    if (!complete && stepped) {
                        inprogressConstraint = pending;
                    }
                    if (complete || stepped) {
                        List<Constraint> rest = new ArrayList<>(pendingConstraints.subList(0, cidx));
                        rest.addAll(pendingConstraints.subList(cidx + 1, pendingConstraints.size()));
                        pendingConstraints = rest;
                        if (pendingConstraints.isEmpty() && inprogressConstraint == null) {
                            completed = true;
                        }
                        break;
                    }
                }
            }
        }
        return new AddResult(complete, stepped);
    }

    /** A new state over the same constraints; {@code stateful} also copies the progress (Python's copy()). */
    public ConstraintListState copy(boolean stateful) {
        ConstraintListState s = new ConstraintListState(constraints);
        if (stateful) {
            List<Constraint> done = new ArrayList<>();
            for (Constraint c : completeConstraints) {
                done.add(c.copy(true));
            }
            s.completeConstraints = done;
            if (inprogressConstraint != null) {
                s.inprogressConstraint = inprogressConstraint.copy(true);
            }
            List<Constraint> pend = new ArrayList<>();
            for (Constraint c : pendingConstraints) {
                pend.add(c.copy(false));
            }
            s.pendingConstraints = pend;
        }
        return s;
    }
}
