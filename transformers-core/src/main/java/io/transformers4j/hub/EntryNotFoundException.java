package io.transformers4j.hub;

/**
 * The repo exists but has no such file at that revision (Python's {@code EntryNotFoundError}), either answered by the
 * hub or remembered from an earlier answer through the cache's {@code .no_exist} marker.
 */
public final class EntryNotFoundException extends HubException {
    private static final long serialVersionUID = 1L;

    public EntryNotFoundException(String message, int statusCode) {
        super(message, statusCode);
    }
}
