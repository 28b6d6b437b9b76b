package io.transformers4j.hub;

import java.io.IOException;

/** Resolves hub repositories through the Hugging Face cache layout, downloading what is missing. */
public final class HubClient {
    private final HubOptions options;

    private HubClient(HubOptions options) {
        this.options = options;
    }

    public static HubClient create(HubOptions options) {
        return new HubClient(options);
    }

    /** The files of model repo {@code repoId} at the options' revision. */
    public ModelFiles repo(String repoId) throws IOException {
        throw new UnsupportedOperationException("TODO hub");
    }
}
