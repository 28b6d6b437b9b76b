package io.transformers4j.hub;

/** The repo is gated and the token (if any) has not been granted access (Python's {@code GatedRepoError}). */
public final class GatedRepoException extends RepositoryNotFoundException {
    private static final long serialVersionUID = 1L;

    public GatedRepoException(String message, int statusCode) {
        super(message, statusCode);
    }
}
