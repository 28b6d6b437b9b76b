package io.transformers4j.parity;

/**
 * Runs the cases of one {@code kind}. A runner throws {@link CaseSkipped} for what it cannot run yet and
 * {@link AssertionError} (via {@link Tensors}) when a result differs from the reference.
 */
public interface CaseRunner {

    /** True when this runner handles the case's kind. */
    boolean accepts(FixtureCase c);

    void run(FixtureCase c) throws Exception;
}
