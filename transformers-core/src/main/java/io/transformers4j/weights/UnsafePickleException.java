package io.transformers4j.weights;

import java.io.IOException;

/**
 * A pickled checkpoint names a Python global that no state dict needs ({@code os.system}, {@code builtins.eval},
 * ...). Such a pickle would run code under Python's {@code torch.load}; here it is refused before anything of it is
 * used. Nothing in a pickle is ever executed by this library: it is interpreted into plain Java values.
 */
public final class UnsafePickleException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String module;
    private final String name;

    public UnsafePickleException(String file, String module, String name, long offset) {
        super("Refusing to load " + file + ": its pickle (at byte " + offset + ") references the Python global "
                + module + "." + name + ", which is not one of the globals a PyTorch state dict uses (tensors, "
                + "storages, dtypes, OrderedDict). The file may be malicious or not a plain state dict; nothing in it "
                + "was run. Load it only if you trust it, in Python, and re-save it with safetensors.");
        this.module = module;
        this.name = name;
    }

    /** The refused global's module ({@code "os"}). */
    public String module() {
        return module;
    }

    /** The refused global's name ({@code "system"}). */
    public String name() {
        return name;
    }
}
