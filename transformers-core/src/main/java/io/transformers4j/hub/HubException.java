package io.transformers4j.hub;

import java.io.IOException;

/**
 * A hub request failed. Subclasses mirror huggingface_hub's errors ({@code RepositoryNotFoundError},
 * {@code GatedRepoError}, {@code RevisionNotFoundError}, {@code EntryNotFoundError}, {@code LocalEntryNotFoundError})
 * so callers can tell "no such file" from "no access" from "offline and not cached".
 */
public class HubException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int statusCode;

    public HubException(String message, int statusCode) {
        super(message);
        this.statusCode = statusCode;
    }

    public HubException(String message, int statusCode, Throwable cause) {
        super(message, cause);
        this.statusCode = statusCode;
    }

    /** The HTTP status the hub answered, or -1 when the failure was not an HTTP answer. */
    public int statusCode() {
        return statusCode;
    }
}
