package io.transformers4j.weights;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A prefix view over the parameters of a model being built: each layer asks its view for the tensors it owns
 * ({@code w.prefix("self_attn").get("q_proj.weight", hidden, hidden)}), so the key strings appear once, at the field
 * they fill, and the full checkpoint key of every tensor is {@code prefix + "." + name}.
 *
 * <p>Loading is construction: when the model is built from a checkpoint the tensors come from a
 * {@link TensorSource}, shape-checked against what the layer expects; a tensor the checkpoint lacks is initialised as
 * Python's {@code _init_weights} would and reported as missing. Every tensor handed out is recorded so the model's
 * state dict (for {@code savePretrained}) and the unexpected keys (checkpoint keys nobody asked for) fall out.
 *
 * <p>Also implements {@code base_model_prefix}: a head model ({@code BertForMaskedLM}, keys {@code bert.*}) loads a
 * bare-model checkpoint (keys without {@code bert.}), and the bare model loads a head checkpoint.
 */
public final class Weights {

    /** Shared state of all views of one model. */
    private static final class State {
        final TensorSource source;
        final NDManager manager;
        final DType dtype;
        final Device device;
        final float initializerRange;
        final Random random;
        /** Checkpoint-to-model key mapping for base_model_prefix: "" none, "+p" add "p." to model keys, "-p" strip. */
        String addPrefix = "";
        String stripPrefix = "";
        final Map<String, NDArray> stateDict = new LinkedHashMap<>();
        final Set<String> tied = new LinkedHashSet<>();
        final Set<String> usedSourceKeys = new LinkedHashSet<>();
        final List<String> missing = new ArrayList<>();
        final List<Pattern> ignoreUnexpected = new ArrayList<>();
        final List<Pattern> ignoreMissing = new ArrayList<>();

        State(TensorSource source, NDManager manager, DType dtype, Device device, float initializerRange, long seed) {
            this.source = source;
            this.manager = manager;
            this.dtype = dtype;
            this.device = device;
            this.initializerRange = initializerRange;
            this.random = new Random(seed);
        }
    }

    private final State state;
    private final String prefix;

    private Weights(State state, String prefix) {
        this.state = state;
        this.prefix = prefix;
    }

    /**
     * Weights read from a checkpoint into {@code manager} as {@code dtype} (null keeps each tensor's stored type) on
     * {@code device}.
     *
     * @param baseModelPrefix the model family's base_model_prefix ("bert", "transformer", ...), or "" for none
     * @param modelHasPrefixModule true when the model being built holds its base model under that prefix (a head
     *     model), false for the bare base model
     */
    public static Weights fromSource(TensorSource source, NDManager manager, DType dtype, Device device,
            String baseModelPrefix, boolean modelHasPrefixModule, float initializerRange) {
        State s = new State(source, manager, dtype, device, initializerRange, 0);
        if (!baseModelPrefix.isEmpty()) {
            String p = baseModelPrefix + ".";
            boolean checkpointHasPrefix = source.keys().stream().anyMatch(k -> k.startsWith(p));
            if (modelHasPrefixModule && !checkpointHasPrefix) {
                s.stripPrefix = p; // model asks "bert.x", checkpoint has "x"
            } else if (!modelHasPrefixModule && checkpointHasPrefix) {
                s.addPrefix = p; // model asks "x", checkpoint has "bert.x"
            }
        }
        return new Weights(s, "");
    }

    /** Freshly initialised weights (no checkpoint), drawn from {@code seed}, e.g. to build a model from a config. */
    public static Weights init(NDManager manager, DType dtype, Device device, float initializerRange, long seed) {
        return new Weights(new State(null, manager, dtype, device, initializerRange, seed), "");
    }

    /** The view of the sub-module {@code name} ({@code "encoder.layer.0"}). */
    public Weights prefix(String name) {
        return new Weights(state, full(name));
    }

    /** The view of sub-module {@code name + "." + index}, for module lists. */
    public Weights prefix(String name, int index) {
        return prefix(name + "." + index);
    }

    /** This view's key prefix ("" at the root). */
    public String path() {
        return prefix;
    }

    public NDManager manager() { return state.manager; }

    /** The dtype parameters are created in (null: each keeps the checkpoint's type). */
    public DType dtype() { return state.dtype; }

    public Device device() { return state.device; }

    /** A required parameter, initialised with normal(0, initializer_range) when the checkpoint lacks it. */
    public NDArray get(String name, long... shape) {
        return get(name, Init.NORMAL, shape);
    }

    /**
     * The parameter {@code name} of this module, with the expected {@code shape}. A checkpoint tensor of another shape
     * fails, naming the key and both shapes; a tensor the checkpoint lacks is initialised with {@code init} and
     * reported as missing.
     */
    public NDArray get(String name, Init init, long... shape) {
        String key = full(name);
        if (state.stateDict.containsKey(key)) {
            throw new IllegalStateException("Parameter " + key + " was requested twice while building the model");
        }
        NDArray array = null;
        if (state.source != null) {
            String sourceKey = sourceKey(key);
            if (sourceKey != null) {
                TensorInfo info = state.source.info(sourceKey);
                if (!Arrays.equals(info.shape(), shape)) {
                    throw new IllegalArgumentException("Checkpoint tensor " + sourceKey + " in " + state.source.describe()
                            + " has shape " + Arrays.toString(info.shape()) + " but the model (from its config) expects "
                            + Arrays.toString(shape) + " for " + key + ": the config does not match the weights");
                }
                try {
                    array = state.source.load(sourceKey, state.manager, state.dtype);
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot read tensor " + sourceKey + " from " + state.source.describe(), e);
                }
                state.usedSourceKeys.add(sourceKey);
            } else {
                state.missing.add(key);
            }
        }
        if (array == null) {
            array = initialise(init, shape);
        }
        if (!state.device.equals(array.getDevice())) {
            NDArray moved = array.toDevice(state.device, false);
            moved.attach(state.manager);
            array.close();
            array = moved;
        }
        array.setName(key);
        state.stateDict.put(key, array);
        return array;
    }

    /** True when the checkpoint holds {@code name} of this module (always false for freshly initialised weights). */
    public boolean contains(String name) {
        return state.source != null && sourceKey(full(name)) != null;
    }

    /**
     * Declares that parameter {@code name} is the same tensor as {@code target} (tied embeddings). Checkpoints do not
     * store tied tensors; if one does, its copy is ignored (Python re-ties after loading too).
     */
    public NDArray tie(String name, NDArray target) {
        String key = full(name);
        state.tied.add(key);
        if (state.source != null) {
            String sourceKey = sourceKey(key);
            if (sourceKey != null) {
                state.usedSourceKeys.add(sourceKey);
            }
        }
        return target;
    }

    /** Checkpoint keys matching {@code regex} are not reported as unexpected (Python's _keys_to_ignore_on_load_unexpected). */
    public void ignoreUnexpected(String regex) {
        state.ignoreUnexpected.add(Pattern.compile(regex));
    }

    /**
     * Model keys matching {@code regex} are not reported as missing when the checkpoint lacks them (Python's
     * _keys_to_ignore_on_load_missing, e.g. a buffer whose zero default is right).
     */
    public void ignoreMissing(String regex) {
        state.ignoreMissing.add(Pattern.compile(regex));
    }

    /** Marks a checkpoint key as consumed without loading it (e.g. a buffer the port recomputes). */
    public void skip(String name) {
        if (state.source != null) {
            String sourceKey = sourceKey(full(name));
            if (sourceKey != null) {
                state.usedSourceKeys.add(sourceKey);
            }
        }
    }

    // ---------------------------------------------------------------- results of a load

    /** Every parameter handed out, by model key, in creation order (tied aliases excluded). */
    public Map<String, NDArray> stateDict() {
        return Collections.unmodifiableMap(state.stateDict);
    }

    /** Model keys that are tied to another parameter. */
    public Set<String> tiedKeys() {
        return Collections.unmodifiableSet(state.tied);
    }

    /** Model keys the checkpoint did not hold (initialised instead). */
    public List<String> missingKeys() {
        List<String> out = new ArrayList<>();
        for (String k : state.missing) {
            if (state.ignoreMissing.stream().noneMatch(p -> p.matcher(k).find())) {
                out.add(k);
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** Checkpoint keys no layer asked for. */
    public List<String> unexpectedKeys() {
        List<String> out = new ArrayList<>();
        if (state.source == null) {
            return out;
        }
        for (String k : state.source.keys()) {
            if (!state.usedSourceKeys.contains(k)
                    && state.ignoreUnexpected.stream().noneMatch(p -> p.matcher(k).find())) {
                out.add(k);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- internals

    private String full(String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    /** The checkpoint key holding model key {@code key}, or null. */
    private String sourceKey(String key) {
        Set<String> keys = state.source.keys();
        String candidate = key;
        if (!state.stripPrefix.isEmpty() && key.startsWith(state.stripPrefix)) {
            candidate = key.substring(state.stripPrefix.length());
        } else if (!state.addPrefix.isEmpty()) {
            candidate = state.addPrefix + key;
        }
        return keys.contains(candidate) ? candidate : null;
    }

    private NDArray initialise(Init init, long[] shape) {
        NDManager m = state.manager;
        Shape s = new Shape(shape);
        NDArray a;
        switch (init) {
            case ZEROS:
                a = m.zeros(s, DataType.FLOAT32);
                break;
            case ONES:
                a = m.ones(s, DataType.FLOAT32);
                break;
            default:
                // Drawn in Java from the view's seed so that a model built twice with one seed is identical.
                long n = s.size();
                float[] values = new float[Math.toIntExact(n)];
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (state.random.nextGaussian() * state.initializerRange);
                }
                a = m.create(values, s);
        }
        DType target = state.dtype == null ? DType.F32 : state.dtype;
        if (target != DType.F32) {
            NDArray cast = io.transformers4j.torch.TorchOps.toDType(a, target);
            a.close();
            a = cast;
        }
        return a;
    }
}
