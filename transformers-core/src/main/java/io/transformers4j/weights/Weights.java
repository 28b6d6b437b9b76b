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
        final NDManager manager;
        final DType dtype;
        final Device device;
        final Random random;
        final Map<String, NDArray> stateDict = new LinkedHashMap<>();
        final Set<String> tied = new LinkedHashSet<>();
        /** Model keys the checkpoints lacked, each with the mount it was looked up in. */
        final Map<String, Mount> missing = new LinkedHashMap<>();
        final List<Pattern> ignoreUnexpected = new ArrayList<>();
        final List<Pattern> ignoreMissing = new ArrayList<>();
        /** The root's checkpoint first, then one per {@link #mount}. */
        final List<Mount> mounts = new ArrayList<>();

        State(NDManager manager, DType dtype, Device device, long seed) {
            this.manager = manager;
            this.dtype = dtype;
            this.device = device;
            this.random = new Random(seed);
        }
    }

    /**
     * One checkpoint as the model sees it: the root's, or one mounted under a sub-module (a composite model whose parts
     * come from their own checkpoints, Python's {@code from_encoder_decoder_pretrained}). Keys of its source are
     * relative to {@code root}.
     */
    private static final class Mount {
        /** Model-key prefix of the sub-module this checkpoint fills: "" for the root, else "encoder." etc. */
        final String root;
        /** Null when the weights are freshly initialised (nothing is then reported missing). */
        final TensorSource source;
        /** Checkpoint-to-model key mapping for base_model_prefix: "" none, else add "p." to / strip it from model keys. */
        String addPrefix = "";
        String stripPrefix = "";
        final Set<String> usedSourceKeys = new LinkedHashSet<>();

        Mount(String root, TensorSource source, String baseModelPrefix, boolean modelHasPrefixModule) {
            this.root = root;
            this.source = source;
            if (source != null && !baseModelPrefix.isEmpty()) {
                String p = baseModelPrefix + ".";
                boolean checkpointHasPrefix = source.keys().stream().anyMatch(k -> k.startsWith(p));
                if (modelHasPrefixModule && !checkpointHasPrefix) {
                    stripPrefix = p; // model asks "bert.x", checkpoint has "x"
                } else if (!modelHasPrefixModule && checkpointHasPrefix) {
                    addPrefix = p; // model asks "x", checkpoint has "bert.x"
                }
            }
        }
    }

    private final State state;
    private final Mount mount;
    private final String prefix;
    private final float initializerRange;

    private Weights(State state, Mount mount, String prefix, float initializerRange) {
        this.state = state;
        this.mount = mount;
        this.prefix = prefix;
        this.initializerRange = initializerRange;
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
        State s = new State(manager, dtype, device, 0);
        Mount root = new Mount("", source, baseModelPrefix, modelHasPrefixModule);
        s.mounts.add(root);
        return new Weights(s, root, "", initializerRange);
    }

    /** Freshly initialised weights (no checkpoint), drawn from {@code seed}, e.g. to build a model from a config. */
    public static Weights init(NDManager manager, DType dtype, Device device, float initializerRange, long seed) {
        State s = new State(manager, dtype, device, seed);
        Mount root = new Mount("", null, "", false);
        s.mounts.add(root);
        return new Weights(s, root, "", initializerRange);
    }

    /**
     * The view of sub-module {@code name} filled from another checkpoint, {@code source}, whose keys are relative to
     * the sub-module: how a composite model ({@code EncoderDecoderModel.from_encoder_decoder_pretrained}) builds each
     * part from the part's own checkpoint. base_model_prefix is resolved between the part and its checkpoint as
     * {@link #fromSource} does. The parameters still land in this model's state dict under their full keys
     * ({@code decoder.bert.embeddings...}); keys {@code source} lacks are reported missing, its unused keys unexpected
     * (prefixed with {@code name}). The caller keeps {@code source} open until the model is built, then closes it.
     *
     * @param source the part's checkpoint, or null to initialise the part afresh without reporting missing keys
     */
    public Weights mount(String name, TensorSource source, String baseModelPrefix, boolean modelHasPrefixModule) {
        String path = full(name);
        for (Mount m : state.mounts) {
            if (m.root.equals(path + ".")) {
                throw new IllegalStateException("A checkpoint is already mounted at " + path);
            }
        }
        Mount m = new Mount(path + ".", source, baseModelPrefix, modelHasPrefixModule);
        state.mounts.add(m);
        return new Weights(state, m, path, initializerRange);
    }

    /**
     * This view with another std for the normal initialisation of the parameters it creates (a composite's part
     * initialises with its own config's {@code initializer_range}, as Python's sub-model {@code _init_weights} does).
     */
    public Weights withInitializerRange(float range) {
        return new Weights(state, mount, prefix, range);
    }

    /** The std of normal initialisation for parameters this view creates. */
    public float initializerRange() {
        return initializerRange;
    }

    /** The view of the sub-module {@code name} ({@code "encoder.layer.0"}). */
    public Weights prefix(String name) {
        return new Weights(state, mount, full(name), initializerRange);
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
        TensorSource source = mount.source;
        if (source != null) {
            String sourceKey = sourceKey(key);
            if (sourceKey != null) {
                TensorInfo info = source.info(sourceKey);
                if (!Arrays.equals(info.shape(), shape)) {
                    throw new IllegalArgumentException("Checkpoint tensor " + sourceKey + " in " + source.describe()
                            + " has shape " + Arrays.toString(info.shape()) + " but the model (from its config) expects "
                            + Arrays.toString(shape) + " for " + key + ": the config does not match the weights");
                }
                try {
                    array = source.load(sourceKey, state.manager, state.dtype);
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot read tensor " + sourceKey + " from " + source.describe(), e);
                }
                mount.usedSourceKeys.add(sourceKey);
            } else {
                state.missing.put(key, mount);
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
        return mount.source != null && sourceKey(full(name)) != null;
    }

    /**
     * Declares that parameter {@code name} is the same tensor as {@code target} (tied embeddings). Checkpoints do not
     * store tied tensors; if one does, its copy is ignored (Python re-ties after loading too).
     */
    public NDArray tie(String name, NDArray target) {
        String key = full(name);
        state.tied.add(key);
        if (mount.source != null) {
            String sourceKey = sourceKey(key);
            if (sourceKey != null) {
                mount.usedSourceKeys.add(sourceKey);
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
        if (mount.source != null) {
            String sourceKey = sourceKey(full(name));
            if (sourceKey != null) {
                mount.usedSourceKeys.add(sourceKey);
            }
        }
    }

    // ---------------------------------------------------------------- results of a load
    //
    // Seen from the root view these cover the whole model with full keys. Seen from a sub-module's view (a model built
    // over w.prefix("encoder"), such as the parts of a composite model) they cover that sub-module only, with keys
    // relative to it, as Python's model.encoder.state_dict() does.

    /** Every parameter handed out under this view, by model key, in creation order (tied aliases excluded). */
    public Map<String, NDArray> stateDict() {
        if (prefix.isEmpty()) {
            return Collections.unmodifiableMap(state.stateDict);
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        state.stateDict.forEach((k, v) -> {
            String rel = relative(k);
            if (rel != null) {
                out.put(rel, v);
            }
        });
        return Collections.unmodifiableMap(out);
    }

    /** Model keys under this view that are tied to another parameter. */
    public Set<String> tiedKeys() {
        Set<String> out = new LinkedHashSet<>();
        for (String k : state.tied) {
            String rel = relative(k);
            if (rel != null) {
                out.add(rel);
            }
        }
        return Collections.unmodifiableSet(out);
    }

    /** Model keys under this view the checkpoint did not hold (initialised instead). */
    public List<String> missingKeys() {
        List<String> out = new ArrayList<>();
        state.missing.forEach((k, m) -> {
            String rel = relative(k);
            if (rel != null && !ignored(state.ignoreMissing, k, m)) {
                out.add(rel);
            }
        });
        return Collections.unmodifiableList(out);
    }

    /**
     * Checkpoint keys no layer asked for. A key of a mounted checkpoint is named with its mount's prefix
     * ({@code decoder.cls.seq_relationship.weight}).
     */
    public List<String> unexpectedKeys() {
        List<String> out = new ArrayList<>();
        for (Mount m : state.mounts) {
            if (m.source == null) {
                continue;
            }
            for (String k : m.source.keys()) {
                String key = m.root + k;
                String rel = relative(key);
                if (rel != null && !m.usedSourceKeys.contains(k) && !ignored(state.ignoreUnexpected, key, m)) {
                    out.add(rel);
                }
            }
        }
        return out;
    }

    /** A pattern matches the full key or, for a mounted checkpoint, the key relative to its mount. */
    private static boolean ignored(List<Pattern> patterns, String key, Mount m) {
        String rel = key.substring(m.root.length());
        return patterns.stream().anyMatch(p -> p.matcher(key).find() || p.matcher(rel).find());
    }

    /** {@code key} relative to this view, or null when it lies outside it. */
    private String relative(String key) {
        if (prefix.isEmpty()) {
            return key;
        }
        return key.startsWith(prefix + ".") ? key.substring(prefix.length() + 1) : null;
    }

    // ---------------------------------------------------------------- internals

    private String full(String name) {
        return prefix.isEmpty() ? name : prefix + "." + name;
    }

    /** The key of this view's checkpoint holding model key {@code key}, or null. */
    private String sourceKey(String key) {
        Set<String> keys = mount.source.keys();
        String candidate = key.substring(mount.root.length());
        if (!mount.stripPrefix.isEmpty() && candidate.startsWith(mount.stripPrefix)) {
            candidate = candidate.substring(mount.stripPrefix.length());
        } else if (!mount.addPrefix.isEmpty()) {
            candidate = mount.addPrefix + candidate;
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
                    values[i] = (float) (state.random.nextGaussian() * initializerRange);
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
