package io.transformers4j.modeling;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.transformers4j.config.AutoConfig;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.hub.ModelFiles;
import io.transformers4j.torch.Torch;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.Checkpoints;
import io.transformers4j.weights.DType;
import io.transformers4j.weights.TensorSource;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base of every model: owns the native memory of its weights (one NDManager, closed by {@link #close}), knows its
 * config, and loads / saves itself in the Hugging Face formats.
 *
 * <p>Port of the parts of Python's {@code PreTrainedModel} (modeling_utils.py) that are not training machinery:
 * {@code from_pretrained}, {@code save_pretrained}, {@code base_model_prefix}, tied weights, missing / unexpected key
 * reports.
 */
public abstract class PreTrainedModel implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PreTrainedModel.class);

    /** Python's default max_shard_size for save_pretrained ("5GB"). */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

    private final PretrainedConfig config;
    private final Weights weights;
    private volatile boolean closed;

    protected PreTrainedModel(PretrainedConfig config, Weights weights) {
        this.config = config;
        this.weights = weights;
    }

    /** Runs the model. Tensors it returns belong to the manager of the first input tensor. */
    public abstract ModelOutput forward(ModelInputs inputs);

    public PretrainedConfig config() {
        return config;
    }

    /** Every parameter by its checkpoint key (tied duplicates excluded), in construction order. */
    public Map<String, NDArray> stateDict() {
        return weights.stateDict();
    }

    /** Keys the checkpoint lacked at load time (freshly initialised). */
    public List<String> missingKeys() {
        return weights.missingKeys();
    }

    /** Checkpoint keys the model did not use. */
    public List<String> unexpectedKeys() {
        return weights.unexpectedKeys();
    }

    /** The manager that owns the weights. */
    public NDManager manager() {
        return weights.manager();
    }

    public Device device() {
        return weights.device();
    }

    /** The dtype the parameters are held in. */
    public DType dtype() {
        Map<String, NDArray> sd = weights.stateDict();
        for (NDArray a : sd.values()) {
            DType t = TorchOps.dtypeOf(a); // DJL cannot name bfloat16
            if (t.isFloatingPoint()) {
                return t;
            }
        }
        return weights.dtype() == null ? DType.F32 : weights.dtype();
    }

    /** Writes config.json and model.safetensors (sharded above 5 GB) into {@code dir}, loadable by Python. */
    public void savePretrained(Path dir) throws IOException {
        savePretrained(dir, DEFAULT_MAX_SHARD_BYTES);
    }

    /** As {@link #savePretrained(Path)}, sharding the weights into files of at most {@code maxShardBytes}. */
    public void savePretrained(Path dir, long maxShardBytes) throws IOException {
        checkOpen();
        Checkpoints.save(dir, stateDict(), maxShardBytes);
        PretrainedConfig toSave = config.forSaving(List.of(getClass().getSimpleName()), dtype().torchName());
        toSave.saveJson(dir);
    }

    /**
     * Called by {@link #fromPretrained} once the model is built, with the files it came from: a model that reads more
     * than config.json and the weights (e.g. a language model head its generation_config.json) does it here.
     */
    protected void loadedFrom(ModelFiles files) throws IOException {}

    protected void checkOpen() {
        if (closed) {
            throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        }
    }

    /** Releases the weights' native memory. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            weights.manager().close();
        }
    }

    // ---------------------------------------------------------------- loading

    /**
     * Loads {@code modelClass} from a folder or hub repo id: reads config.json, opens the weights (safetensors,
     * sharded, or pytorch_model.bin) and builds the model over them.
     */
    public static <M extends PreTrainedModel> M fromPretrained(ModelClass<?, M> modelClass, String repoIdOrPath,
            LoadOptions options) throws IOException {
        return fromPretrained(modelClass, ModelFiles.open(repoIdOrPath, options.hub()), options);
    }

    /** As {@link #fromPretrained(ModelClass, String, LoadOptions)}, over already resolved model files. */
    public static <M extends PreTrainedModel> M fromPretrained(ModelClass<?, M> modelClass, ModelFiles files,
            LoadOptions options) throws IOException {
        PretrainedConfig config = AutoConfig.fromModelFiles(files, modelClass.configClass());
        if (!options.configOverrides().isEmpty()) {
            config = config.withOverrides(options.configOverrides());
        }
        DType dtype = resolveDtype(options.dtype(), config);
        Torch.ensureThreadReady();
        try (TensorSource source = Checkpoints.open(files)) {
            NDManager manager = NDManager.newBaseManager(options.device());
            try {
                Weights w = Weights.fromSource(source, manager, dtype, options.device(), modelClass.baseModelPrefix(),
                        modelClass.hasPrefixModule(), config.initializerRange());
                M model = modelClass.construct(config, w);
                report(modelClass.name(), files.describe(), w, options.strict());
                model.loadedFrom(files);
                return model;
            } catch (IOException | RuntimeException | Error e) {
                manager.close();
                throw e;
            }
        }
    }

    /** Builds {@code modelClass} from a config with freshly initialised weights drawn from {@code seed}. */
    public static <M extends PreTrainedModel> M fromConfig(ModelClass<?, M> modelClass, PretrainedConfig config,
            long seed, Device device) {
        Torch.ensureThreadReady();
        NDManager manager = NDManager.newBaseManager(device);
        try {
            DType dtype = config.torchDtype() == null ? DType.F32 : DType.fromTorchName(config.torchDtype());
            Weights w = Weights.init(manager, dtype, device, config.initializerRange(), seed);
            return modelClass.construct(config, w);
        } catch (RuntimeException | Error e) {
            manager.close();
            throw e;
        }
    }

    /**
     * The dtype to load in: {@code requested} ("float32", "float16", "bfloat16"), or with "auto" / null the config's
     * torch_dtype (float32 when it has none).
     */
    protected static DType resolveDtype(String requested, PretrainedConfig config) {
        if (requested == null || requested.equals("auto")) {
            return config.torchDtype() == null ? DType.F32 : DType.fromTorchName(config.torchDtype());
        }
        DType d = DType.fromTorchName(requested);
        if (!d.isFloatingPoint()) {
            throw new IllegalArgumentException("dtype must be a floating point type or \"auto\", got " + requested);
        }
        return d;
    }

    private static void report(String name, String from, Weights w, boolean strict) {
        report(name, from, w.missingKeys(), w.unexpectedKeys(), strict);
    }

    /**
     * Python's load report for model class {@code name} loaded from {@code from}: unexpected and missing keys are
     * logged as warnings, or fail the load when {@code strict}.
     */
    protected static void report(String name, String from, List<String> missing, List<String> unexpected,
            boolean strict) {
        if (strict && (!unexpected.isEmpty() || !missing.isEmpty())) {
            throw new IllegalArgumentException("Loading " + name + " from " + from + " (strict): missing keys "
                    + missing + ", unexpected keys " + unexpected);
        }
        if (!unexpected.isEmpty()) {
            LOG.warn("Some weights of the model checkpoint at {} were not used when initializing {}: {}\n- This IS "
                    + "expected if you are initializing {} from the checkpoint of a model trained on another task or "
                    + "with another architecture.", from, name, unexpected, name);
        }
        if (!missing.isEmpty()) {
            LOG.warn("Some weights of {} were not initialized from the model checkpoint at {} and are newly "
                    + "initialized: {}\nYou should probably TRAIN this model on a down-stream task to be able to use "
                    + "it for predictions and inference.", name, from, missing);
        }
    }
}
