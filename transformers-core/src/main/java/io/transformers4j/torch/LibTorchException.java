package io.transformers4j.torch;

/**
 * A LibTorch call made through the bridge failed, or the loaded LibTorch does not match the one the bridge was
 * built for. LibTorch's C functions report failure only as a return code and print their own message to stderr, so
 * the message here names the operator and the shapes/dtypes it was given.
 */
public class LibTorchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public LibTorchException(String message) {
        super(message);
    }

    public LibTorchException(String message, Throwable cause) {
        super(message, cause);
    }
}
