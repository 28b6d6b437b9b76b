package io.transformers4j.generation;

/**
 * A {@link LogitsProcessor} meant for multinomial sampling (Python's {@code LogitsWarper}): temperature, top-k,
 * top-p, typical, epsilon and eta. The distinction only documents intent, as in Python.
 */
public interface LogitsWarper extends LogitsProcessor {}
