package io.transformers4j.parity;

/** Thrown by a runner for a case it cannot run yet (an architecture or feature not supported): reported as SKIP. */
public final class CaseSkipped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CaseSkipped(String reason) {
        super(reason);
    }
}
