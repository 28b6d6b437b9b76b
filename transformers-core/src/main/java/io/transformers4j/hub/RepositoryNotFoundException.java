package io.transformers4j.hub;

/**
 * The repo does not exist or is not visible with the credentials sent (Python's {@code RepositoryNotFoundError}). The
 * hub answers 401 for private repos without a valid token, so this is also the "set HF_TOKEN" error.
 */
public class RepositoryNotFoundException extends HubException {
    private static final long serialVersionUID = 1L;

    public RepositoryNotFoundException(String message, int statusCode) {
        super(message, statusCode);
    }
}
