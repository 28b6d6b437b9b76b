package io.transformers4j.hub;

/**
 * The file is not in the local cache and the hub could not be asked: offline mode ({@code HF_HUB_OFFLINE=1} or
 * {@link HubOptions#localFilesOnly()}) or an unreachable endpoint (Python's {@code LocalEntryNotFoundError}).
 */
public final class LocalEntryNotFoundException extends HubException {
    private static final long serialVersionUID = 1L;

    public LocalEntryNotFoundException(String message) {
        super(message, -1);
    }

    public LocalEntryNotFoundException(String message, Throwable cause) {
        super(message, -1, cause);
    }
}
