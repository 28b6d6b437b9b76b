package io.transformers4j.hub;

/** The branch, tag or commit does not exist in the repo (Python's {@code RevisionNotFoundError}). */
public final class RevisionNotFoundException extends HubException {
    private static final long serialVersionUID = 1L;

    public RevisionNotFoundException(String message, int statusCode) {
        super(message, statusCode);
    }
}
