package io.transformers4j.models.encoder_decoder;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.auto.AutoTask;
import io.transformers4j.auto.ModelRegistry;
import io.transformers4j.config.AutoConfig;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.generation.EncoderOutput;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.generation.GenerationModel;
import io.transformers4j.generation.GenerationStepOutput;
import io.transformers4j.generation.ModelKwargs;
import io.transformers4j.generation.PastKeyValues;
import io.transformers4j.hub.ModelFiles;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.Seq2SeqLM;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.Seq2SeqLMOutput;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Checkpoints;
import io.transformers4j.weights.DType;
import io.transformers4j.weights.TensorSource;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sequence-to-sequence model made of any registered encoder (the AutoModel class of its model_type) and any causal
 * language model as decoder (the AutoModelForCausalLM class, with cross-attention over the encoder's output). Port of
 * {@code EncoderDecoderModel} (models/encoder_decoder/modeling_encoder_decoder.py).
 *
 * <pre>{@code
 * // bert2bert: two pretrained BERTs; the decoder's cross-attention is new (reported as newly initialised)
 * try (EncoderDecoderModel model = EncoderDecoderModel.fromEncoderDecoderPretrained(
 *         "google-bert/bert-base-uncased", "google-bert/bert-base-uncased")) {
 *     Seq2SeqLMOutput out = model.forward(ModelInputs.builder().inputIds(ids).labels(labels).build());
 *     model.savePretrained(dir);             // one checkpoint: encoder.*, decoder.*
 * }
 * EncoderDecoderModel again = EncoderDecoderModel.fromPretrained(dir.toString());
 * }</pre>
 *
 * <p>The checkpoint holds the encoder's parameters under {@code encoder.} and the decoder's under {@code decoder.}
 * ({@code decoder.bert.*}, {@code decoder.cls.*} for a BERT decoder), plus {@code enc_to_dec_proj.*} when the two
 * hidden sizes differ. It generates like Python's ({@link GenerationModel}: {@code model.generate(inputIds)} with the
 * checkpoint's generation_config.json), and, for hand-written loops, is a {@link Seq2SeqLM}: {@link #encode} once, then
 * {@link #decode} step by step over the decoder's cache.
 *
 * <p>Not ported: {@code tie_encoder_decoder} (refused), prebuilt encoder/decoder objects as constructor arguments
 * (load the parts from their checkpoints with {@link #fromEncoderDecoderPretrained}), TensorFlow checkpoints,
 * {@code resize_token_embeddings} (unsupported in Python too).
 */
public class EncoderDecoderModel extends PreTrainedModel implements Seq2SeqLM, GenerationModel {

    private static final Logger LOG = LoggerFactory.getLogger(EncoderDecoderModel.class);

    /** Python's base_model_prefix; no checkpoint carries it, so loading never strips or adds it. */
    public static final String BASE_MODEL_PREFIX = "encoder_decoder";

    public static final ModelClass<EncoderDecoderConfig, EncoderDecoderModel> CLASS = new ModelClass<>(
            "EncoderDecoderModel", EncoderDecoderConfig.class, BASE_MODEL_PREFIX, false, EncoderDecoderModel::new);

    /**
     * Python's forward signature. Any other argument goes to the encoder, or, when it starts with {@code decoder_},
     * to the decoder without the prefix ({@code decoder_token_type_ids} becomes the decoder's token_type_ids).
     */
    static final Set<String> ARGUMENTS = Set.of("input_ids", "attention_mask", "decoder_input_ids",
            "decoder_attention_mask", "encoder_outputs", "past_key_values", "inputs_embeds", "decoder_inputs_embeds",
            "labels", "use_cache", "output_attentions", "output_hidden_states");

    private final EncoderDecoderConfig config;
    private final PreTrainedModel encoder;
    private final PreTrainedModel decoder;
    private final Linear encToDecProj; // (decoder hidden, encoder hidden), only when the hidden sizes differ
    private volatile GenerationConfig generationConfig;

    /** Builds the model over {@code w}: the encoder under {@code encoder.}, the decoder under {@code decoder.}. */
    public EncoderDecoderModel(EncoderDecoderConfig config, Weights w) {
        this(config, w, w.prefix("encoder"), w.prefix("decoder"));
    }

    private EncoderDecoderModel(EncoderDecoderConfig config, Weights w, Weights encoderWeights,
            Weights decoderWeights) {
        super(config, w);
        this.config = config;
        PretrainedConfig enc = config.encoder();
        PretrainedConfig dec = config.decoder();
        int encoderHidden = hiddenSize(enc, "encoder");
        int decoderHidden = hiddenSize(dec, "decoder");
        Integer crossAttentionHiddenSize = intKey(dec.toJson(), "cross_attention_hidden_size");
        if (crossAttentionHiddenSize != null && crossAttentionHiddenSize != encoderHidden) {
            throw new IllegalArgumentException("If `cross_attention_hidden_size` is specified in the decoder's "
                    + "configuration, it has to be equal to the encoder's `hidden_size`. Got " + crossAttentionHiddenSize
                    + " for `config.decoder.cross_attention_hidden_size` and " + encoderHidden
                    + " for `config.encoder.hidden_size`.");
        }
        if (config.tieEncoderDecoder()) {
            throw new UnsupportedOperationException("tie_encoder_decoder=True (the decoder's base model sharing the "
                    + "encoder's weights) is not supported by this port; set it to false");
        }
        if (!dec.isDecoder() || !dec.addCrossAttention()) {
            LOG.warn("The decoder ({}) is not initialized as a decoder: is_decoder={}, add_cross_attention={}. In "
                    + "order to attend to the encoder, the decoder config needs both set to true "
                    + "(EncoderDecoderConfig.fromEncoderDecoderConfigs does that).", dec.modelType(), dec.isDecoder(),
                    dec.addCrossAttention());
        }
        // Python builds the parts with AutoModel.from_config(config.encoder) and
        // AutoModelForCausalLM.from_config(config.decoder): each initialises from its own config.
        this.encoder = ModelRegistry.forTask(enc, AutoTask.MODEL)
                .construct(enc, encoderWeights.withInitializerRange(enc.initializerRange()));
        this.decoder = ModelRegistry.forTask(dec, AutoTask.CAUSAL_LM)
                .construct(dec, decoderWeights.withInitializerRange(dec.initializerRange()));
        // Encoder outputs are projected to the decoder's width when the decoder cannot take them as they are.
        this.encToDecProj = encoderHidden != decoderHidden && crossAttentionHiddenSize == null
                ? new Linear(w.prefix("enc_to_dec_proj"), encoderHidden, decoderHidden, true)
                : null;
    }

    /** A config's hidden size, by the names the families use for it (Python's attribute_map does the same). */
    private static int hiddenSize(PretrainedConfig c, String which) {
        ObjectNode json = c.toJson();
        for (String key : List.of("hidden_size", "n_embd", "d_model")) {
            Integer v = intKey(json, key);
            if (v != null) {
                return v;
            }
        }
        throw new IllegalArgumentException("Cannot tell the hidden size of the " + which + " (" + c.modelType()
                + "): its config has none of hidden_size, n_embd, d_model");
    }

    private static Integer intKey(ObjectNode json, String key) {
        JsonNode v = json.get(key);
        return v == null || !v.isNumber() ? null : v.asInt();
    }

    // ---------------------------------------------------------------- loading

    public static EncoderDecoderModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    /** Loads a saved composite (config.json with encoder/decoder sub-configs, one checkpoint). */
    public static EncoderDecoderModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    /** A model with freshly initialised weights drawn from {@code seed}, like Python's {@code EncoderDecoderModel(config)}. */
    public static EncoderDecoderModel fromConfig(EncoderDecoderConfig config, long seed) {
        return PreTrainedModel.fromConfig(CLASS, config, seed, Device.cpu());
    }

    /** {@link #fromEncoderDecoderPretrained(String, LoadOptions, String, LoadOptions, Map)} with default options. */
    public static EncoderDecoderModel fromEncoderDecoderPretrained(String encoderPath, String decoderPath)
            throws IOException {
        return fromEncoderDecoderPretrained(encoderPath, LoadOptions.defaults(), decoderPath, LoadOptions.defaults(),
                Map.of());
    }

    /**
     * Python's {@code EncoderDecoderModel.from_encoder_decoder_pretrained}: the encoder is loaded as the AutoModel
     * class of its checkpoint's model_type, the decoder as its AutoModelForCausalLM class with {@code is_decoder} and
     * {@code add_cross_attention} switched on, each from its own checkpoint with base_model_prefix handled per part
     * (a BertForPreTraining checkpoint fills the bare encoder and the decoder alike). The decoder's cross-attention
     * weights are not in its checkpoint: they are initialised normal(0, initializer_range) and reported as newly
     * initialized, as Python warns; fine-tune before use.
     *
     * @param encoderOptions the encoder's hub, dtype and config overrides (Python's {@code encoder_*} kwargs)
     * @param decoderOptions the decoder's (Python's {@code decoder_*} kwargs); dtype and device must match the encoder's
     * @param kwargs keys of the composite config, e.g. {@code decoder_start_token_id}, {@code pad_token_id}
     */
    public static EncoderDecoderModel fromEncoderDecoderPretrained(String encoderPath, LoadOptions encoderOptions,
            String decoderPath, LoadOptions decoderOptions, Map<String, ?> kwargs) throws IOException {
        if (encoderPath == null) {
            throw new IllegalArgumentException("If `encoder_model` is not defined as an argument, a "
                    + "`encoder_pretrained_model_name_or_path` has to be defined.");
        }
        if (decoderPath == null) {
            throw new IllegalArgumentException("If `decoder_model` is not defined as an argument, a "
                    + "`decoder_pretrained_model_name_or_path` has to be defined.");
        }
        ModelFiles encoderFiles = ModelFiles.open(encoderPath, encoderOptions.hub());
        ModelFiles decoderFiles = ModelFiles.open(decoderPath, decoderOptions.hub());

        PretrainedConfig encoderConfig = loadConfig(encoderFiles, encoderOptions);
        if (encoderConfig.isDecoder() || encoderConfig.addCrossAttention()) {
            LOG.info("Initializing {} as a encoder model from a decoder model. Cross-attention and casual mask are "
                    + "disabled.", encoderPath);
            encoderConfig = encoderConfig.withOverrides(Map.of("is_decoder", false, "add_cross_attention", false));
        }
        PretrainedConfig decoderConfig = loadConfig(decoderFiles, decoderOptions);
        if (!decoderConfig.isDecoder() || !decoderConfig.addCrossAttention()) {
            LOG.info("Initializing {} as a decoder model. Cross attention layers are added to {} and randomly "
                    + "initialized if {}'s architecture allows for cross attention layers.", decoderPath, decoderPath,
                    decoderPath);
            decoderConfig = decoderConfig.withOverrides(Map.of("is_decoder", true, "add_cross_attention", true));
        }
        EncoderDecoderConfig config = EncoderDecoderConfig.fromEncoderDecoderConfigs(encoderConfig, decoderConfig,
                kwargs);

        DType dtype = resolveDtype(encoderOptions.dtype(), encoderConfig);
        DType decoderDtype = resolveDtype(decoderOptions.dtype(), decoderConfig);
        if (dtype != decoderDtype || !encoderOptions.device().equals(decoderOptions.device())) {
            throw new IllegalArgumentException("The encoder and the decoder must load in one dtype on one device: got "
                    + dtype.torchName() + " on " + encoderOptions.device() + " for the encoder and "
                    + decoderDtype.torchName() + " on " + decoderOptions.device() + " for the decoder");
        }
        Device device = encoderOptions.device();
        ModelClass<?, ?> encoderClass = ModelRegistry.forTask(config.encoder(), AutoTask.MODEL);
        ModelClass<?, ?> decoderClass = ModelRegistry.forTask(config.decoder(), AutoTask.CAUSAL_LM);

        Torch.ensureThreadReady();
        try (TensorSource encoderSource = Checkpoints.open(encoderFiles);
                TensorSource decoderSource = Checkpoints.open(decoderFiles)) {
            NDManager manager = NDManager.newBaseManager(device);
            try {
                // The composite's own parameters (enc_to_dec_proj) are new, and Python does not report them.
                Weights w = Weights.init(manager, dtype, device, config.initializerRange(), 0);
                Weights encoderWeights = w.mount("encoder", encoderSource, encoderClass.baseModelPrefix(),
                        encoderClass.hasPrefixModule());
                Weights decoderWeights = w.mount("decoder", decoderSource, decoderClass.baseModelPrefix(),
                        decoderClass.hasPrefixModule());
                EncoderDecoderModel model = new EncoderDecoderModel(config, w, encoderWeights, decoderWeights);
                // Python's warnings come from the two from_pretrained calls, each about its own part.
                report(encoderClass.name(), encoderFiles.describe(), encoderWeights.missingKeys(),
                        encoderWeights.unexpectedKeys(), encoderOptions.strict());
                report(decoderClass.name(), decoderFiles.describe(), decoderWeights.missingKeys(),
                        decoderWeights.unexpectedKeys(), decoderOptions.strict());
                return model;
            } catch (RuntimeException | Error e) {
                manager.close();
                throw e;
            }
        }
    }

    private static PretrainedConfig loadConfig(ModelFiles files, LoadOptions options) throws IOException {
        PretrainedConfig c = AutoConfig.fromModelFiles(files, PretrainedConfig.class);
        return options.configOverrides().isEmpty() ? c : c.withOverrides(options.configOverrides());
    }

    // ---------------------------------------------------------------- accessors

    @Override
    public EncoderDecoderConfig config() {
        return config;
    }

    /**
     * The encoder (Python's {@code model.encoder} / {@code get_encoder()}). It shares the composite's weights: its
     * state dict has keys relative to {@code encoder.}; closing the composite closes it.
     */
    public PreTrainedModel encoder() {
        return encoder;
    }

    /** The decoder (Python's {@code model.decoder} / {@code get_decoder()}), sharing the composite's weights. */
    public PreTrainedModel decoder() {
        return decoder;
    }

    /** config.json, the weights and, as Python does for models that generate, generation_config.json. */
    @Override
    public void savePretrained(java.nio.file.Path dir, long maxShardBytes) throws IOException {
        super.savePretrained(dir, maxShardBytes);
        generationConfig().savePretrained(dir);
    }

    @Override
    public void close() {
        encoder.close();
        decoder.close();
        super.close();
    }

    // ---------------------------------------------------------------- forward

    /**
     * Runs encoder and decoder. Arguments (Python names): input_ids or inputs_embeds, attention_mask (the encoder's,
     * also the decoder's encoder_attention_mask), decoder_input_ids or decoder_inputs_embeds, decoder_attention_mask,
     * encoder_outputs (reused instead of running the encoder: a {@link BaseModelOutput}, any output with a
     * {@code last_hidden_state}, or that tensor), past_key_values, labels, use_cache, output_attentions,
     * output_hidden_states; other arguments go to the encoder, or to the decoder when prefixed {@code decoder_}.
     *
     * <p>With labels and no decoder inputs, decoder_input_ids are the labels shifted right (Python's
     * {@link #shiftTokensRight}) and decoder_attention_mask marks their non-pad tokens; the loss is the mean
     * cross-entropy of the logits against the labels (-100 ignored). Tensors returned belong to the first input's
     * manager.
     */
    @Override
    public Seq2SeqLMOutput forward(ModelInputs inputs) {
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            return keep(run(inputs));
        }
    }

    private Seq2SeqLMOutput run(ModelInputs in) {
        Set<NDArray> given = inputTensors(in);
        Map<String, Object> encoderKwargs = new LinkedHashMap<>();
        Map<String, Object> decoderKwargs = new LinkedHashMap<>();
        in.asMap().forEach((k, v) -> {
            if (!ARGUMENTS.contains(k)) {
                if (k.startsWith("decoder_")) {
                    decoderKwargs.put(k.substring("decoder_".length()), v);
                } else {
                    encoderKwargs.put(k, v);
                }
            }
        });
        Boolean outputAttentions = in.flag("output_attentions");
        Boolean outputHiddenStates = in.flag("output_hidden_states");

        BaseModelOutput encoderOutputs;
        Object encoderOutputsGiven = in.get("encoder_outputs");
        if (encoderOutputsGiven == null) {
            ModelInputs.Builder b = ModelInputs.builder().inputIds(in.inputIds()).attentionMask(in.attentionMask())
                    .inputsEmbeds(in.inputsEmbeds()).set("output_attentions", outputAttentions)
                    .set("output_hidden_states", outputHiddenStates);
            encoderKwargs.forEach(b::set);
            encoderOutputs = asEncoderOutput(adopt(encoder.forward(b.build()), given), "The encoder");
        } else {
            encoderOutputs = asEncoderOutput(encoderOutputsGiven, "encoder_outputs");
        }
        NDArray encoderHiddenStates = encoderOutputs.lastHiddenState(); // (B, S, encoder hidden)
        if (encToDecProj != null) {
            encoderHiddenStates = encToDecProj.forward(encoderHiddenStates); // (B, S, decoder hidden)
        }

        NDArray labels = in.labels();
        NDArray decoderInputIds = in.decoderInputIds();
        NDArray decoderAttentionMask = in.decoderAttentionMask();
        if (labels != null && decoderInputIds == null && !in.has("decoder_inputs_embeds")) {
            decoderInputIds = shiftTokensRight(labels, config.padTokenId(), config.decoderStartTokenId());
            if (decoderAttentionMask == null) {
                // decoder_input_ids.new_tensor(decoder_input_ids != pad_token_id): int64 0/1
                decoderAttentionMask = decoderInputIds.neq(config.padTokenId().longValue()).toType(DataType.INT64,
                        false);
            }
        }

        ModelInputs.Builder d = ModelInputs.builder().inputIds(decoderInputIds).attentionMask(decoderAttentionMask)
                .encoderHiddenStates(encoderHiddenStates).encoderAttentionMask(in.attentionMask())
                .inputsEmbeds(in.tensor("decoder_inputs_embeds")).set("output_attentions", outputAttentions)
                .set("output_hidden_states", outputHiddenStates).set("use_cache", in.flag("use_cache"))
                .set("past_key_values", in.get("past_key_values"));
        decoderKwargs.forEach(d::set);
        ModelOutput decoderOutputs = adopt(runDecoder(d.build()), given);
        Map<String, NDArray> dm = decoderOutputs.toMap();
        NDArray logits = dm.get("logits"); // (B, T, vocab)
        if (logits == null) {
            throw new IllegalStateException("The decoder " + decoder.getClass().getSimpleName() + " returned no logits");
        }

        // The loss is computed here rather than by the decoder, which would shift the labels once more.
        NDArray loss = labels == null ? null : Losses.crossEntropy(logits, labels);
        return new Seq2SeqLMOutput(loss, logits, cacheOf(decoderOutputs), tuple(dm, "hidden_states"),
                tuple(dm, "attentions"), tuple(dm, "cross_attentions"), encoderOutputs.lastHiddenState(),
                encoderOutputs.hiddenStates(), encoderOutputs.attentions());
    }

    /** The decoder's forward; Python refuses a decoder without encoder_hidden_states in its signature. */
    private ModelOutput runDecoder(ModelInputs inputs) {
        try {
            return decoder.forward(inputs);
        } catch (IllegalArgumentException e) {
            if (String.valueOf(e.getMessage()).contains("unexpected argument 'encoder_hidden_states'")) {
                throw new IllegalArgumentException("The selected decoder (" + decoder.getClass().getSimpleName()
                        + ") is not prepared for the encoder hidden states to be passed. Please see the following "
                        + "discussion on GitHub: https://github.com/huggingface/transformers/issues/23350", e);
            }
            throw e;
        }
    }

    // ---------------------------------------------------------------- GenerationModel (generate())

    @Override
    protected void loadedFrom(ModelFiles files) throws IOException {
        generationConfig = GenerationConfig.forModel(files, config);
    }

    /**
     * generation_config.json of the folder the model was loaded from, else the one Python derives from config.json
     * (the composite's keys, then the decoder sub-config's for those still at their default).
     */
    @Override
    public GenerationConfig generationConfig() {
        GenerationConfig g = generationConfig;
        if (g == null) {
            g = GenerationConfig.fromModelConfig(config);
            generationConfig = g;
        }
        return g;
    }

    @Override
    public void setGenerationConfig(GenerationConfig generationConfig) {
        this.generationConfig = generationConfig;
    }

    @Override
    public boolean isEncoderDecoder() {
        return true;
    }

    /** The composite config has no max_position_embeddings (Python's getattr finds none either). */
    @Override
    public Integer maxPositionEmbeddings() {
        return null;
    }

    /** Python's {@code _prepare_encoder_decoder_kwargs_for_generation}: the encoder's forward, run once. */
    @Override
    public EncoderOutput encode(ModelInputs encoderInputs) {
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            BaseModelOutput out = asEncoderOutput(adopt(encoder.forward(encoderInputs), inputTensors(encoderInputs)),
                    "The encoder");
            keep(out);
            return new EncoderOutput(out.lastHiddenState(), out.hiddenStates(), out.attentions());
        }
    }

    /**
     * Python's {@code EncoderDecoderModel.prepare_inputs_for_generation}: the decoder's own preparation of the
     * decoder tokens (only those the cache lacks, an all-ones decoder mask over every token so far), plus the
     * encoder's attention mask and outputs.
     */
    @Override
    public ModelInputs prepareInputsForGeneration(NDArray decoderInputIds, ModelKwargs kwargs) {
        NDArray ids;
        NDArray decoderAttentionMask;
        Object past;
        if (decoder instanceof GenerationModel g) {
            ModelInputs d = g.prepareInputsForGeneration(decoderInputIds,
                    new ModelKwargs().pastKeyValues(kwargs.pastKeyValues()));
            ids = d.inputIds();
            decoderAttentionMask = d.attentionMask();
            past = d.get("past_key_values");
        } else {
            // A decoder that cannot generate on its own: what BertLMHeadModel and most causal LMs do.
            List<NDArray[]> legacy = PastKeyValues.legacy(kwargs.pastKeyValues(), modelClassName());
            ids = decoderInputIds;
            if (legacy != null) {
                long pastLength = legacy.get(0)[0].getShape().get(2);
                long len = decoderInputIds.getShape().get(1);
                ids = decoderInputIds.get(new NDIndex(":, {}:", len > pastLength ? pastLength : len - 1));
            }
            decoderAttentionMask = null;
            past = legacy;
        }
        return ModelInputs.builder().attentionMask(kwargs.attentionMask()).decoderAttentionMask(decoderAttentionMask)
                .decoderInputIds(ids).set("encoder_outputs", kwargs.encoderOutputs()).set("past_key_values", past)
                .useCache(kwargs.useCache()).build();
    }

    @Override
    public GenerationStepOutput forwardForGeneration(ModelInputs inputs) {
        Seq2SeqLMOutput out = forward(inputs);
        return new GenerationStepOutput(out.logits(), out.pastKeyValues(), out.decoderHiddenStates(),
                out.decoderAttentions(), out.crossAttentions());
    }

    // ---------------------------------------------------------------- Seq2SeqLM (hand-written loops)

    @Override
    public BaseModelOutput encode(NDArray inputIds, NDArray attentionMask) {
        Torch.ensureThreadReady();
        checkOpen();
        ModelInputs in = ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask)
                .outputAttentions(false).outputHiddenStates(false).build();
        try (NDScope scope = new NDScope()) {
            BaseModelOutput out = asEncoderOutput(adopt(encoder.forward(in), inputTensors(in)), "The encoder");
            return keep(new BaseModelOutput(out.lastHiddenState(), null, null));
        }
    }

    /**
     * One decoder step over the cache. As Python's {@code prepare_inputs_for_generation}, a null
     * decoderAttentionMask attends to every target token (causally); {@code encoderHiddenStates} is what
     * {@link #encode} returned (projected here when the hidden sizes differ, as forward does).
     */
    @Override
    public Seq2SeqLMOutput decode(NDArray decoderInputIds, NDArray decoderAttentionMask, NDArray encoderHiddenStates,
            NDArray encoderAttentionMask, List<NDArray[]> pastKeyValues) {
        Torch.ensureThreadReady();
        checkOpen();
        ModelInputs in = ModelInputs.builder().decoderInputIds(decoderInputIds)
                .decoderAttentionMask(decoderAttentionMask).set("encoder_outputs", encoderHiddenStates)
                .attentionMask(encoderAttentionMask).pastKeyValues(pastKeyValues).useCache(true)
                .outputAttentions(false).outputHiddenStates(false).build();
        try (NDScope scope = new NDScope()) {
            Seq2SeqLMOutput out = run(in);
            return keep(new Seq2SeqLMOutput(null, out.logits(), out.pastKeyValues(), null, null, null, null, null,
                    null));
        }
    }

    @Override
    public Integer decoderStartTokenId() {
        return config.decoderStartTokenId();
    }

    /** Python's {@code prepare_decoder_input_ids_from_labels}. */
    public NDArray prepareDecoderInputIdsFromLabels(NDArray labels) {
        return shiftTokensRight(labels, config.padTokenId(), config.decoderStartTokenId());
    }

    /**
     * Python's {@code shift_tokens_right}: (batch, seq) ids moved one position right, {@code decoderStartTokenId}
     * first, the last id dropped, and -100 (ignored label positions) replaced by {@code padTokenId}.
     */
    public static NDArray shiftTokensRight(NDArray inputIds, Integer padTokenId, Integer decoderStartTokenId) {
        if (decoderStartTokenId == null) {
            throw new IllegalArgumentException(
                    "Make sure to set the decoder_start_token_id attribute of the model's configuration.");
        }
        if (padTokenId == null) {
            throw new IllegalArgumentException("Make sure to set the pad_token_id attribute of the model's configuration.");
        }
        if (inputIds.getShape().dimension() != 2) {
            throw new IllegalArgumentException("labels / input_ids to shift must be (batch, seq), got shape "
                    + inputIds.getShape());
        }
        NDArray ids = inputIds.toType(DataType.INT64, false);
        long seq = ids.getShape().get(1);
        NDArray start = ids.get(":, :1").zerosLike().add(decoderStartTokenId.longValue()); // (B, 1)
        NDArray shifted = NDArrays.concat(new NDList(start, ids.get(":, :{}", seq - 1)), 1); // (B, seq)
        return NDArrays.where(shifted.eq(Losses.IGNORE_INDEX), shifted.zerosLike().add(padTokenId.longValue()),
                shifted);
    }

    // ---------------------------------------------------------------- helpers

    /** The encoder's result as a BaseModelOutput, from any output with a last_hidden_state, or that tensor. */
    private static BaseModelOutput asEncoderOutput(Object value, String what) {
        if (value instanceof BaseModelOutput b) {
            return b;
        }
        if (value instanceof NDArray a) {
            return new BaseModelOutput(a, null, null);
        }
        if (value instanceof EncoderOutput e) {
            return new BaseModelOutput(e.lastHiddenState(), e.hiddenStates(), e.attentions());
        }
        if (value instanceof ModelOutput o) {
            Map<String, NDArray> m = o.toMap();
            NDArray last = m.get("last_hidden_state");
            if (last == null) {
                throw new IllegalArgumentException(what + " (" + value.getClass().getSimpleName()
                        + ") has no last_hidden_state");
            }
            return new BaseModelOutput(last, tuple(m, "hidden_states"), tuple(m, "attentions"));
        }
        throw new IllegalArgumentException("encoder_outputs must be a BaseModelOutput or an EncoderOutput (or another "
                + "output with a last_hidden_state) or the encoder's last hidden state as an NDArray, got "
                + value.getClass().getSimpleName());
    }

    /** The tuple {@code name.0, name.1, ...} of a flattened output, or null when absent. */
    private static List<NDArray> tuple(Map<String, NDArray> map, String name) {
        List<NDArray> out = new ArrayList<>();
        for (int i = 0; map.containsKey(name + "." + i); i++) {
            out.add(map.get(name + "." + i));
        }
        return out.isEmpty() ? null : Collections.unmodifiableList(out);
    }

    @SuppressWarnings("unchecked")
    private List<NDArray[]> cacheOf(ModelOutput decoderOutputs) {
        Object past = decoderOutputs.pastKeyValues();
        if (past == null || past instanceof List) {
            return (List<NDArray[]>) past;
        }
        throw new IllegalStateException("The decoder " + decoder.getClass().getSimpleName() + " returned a "
                + past.getClass().getSimpleName() + " as past_key_values; EncoderDecoderModel passes on the legacy "
                + "per-layer form only");
    }

    /** Every tensor among the arguments (the cache included): never freed by this forward. */
    private static Set<NDArray> inputTensors(ModelInputs in) {
        Set<NDArray> s = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Object v : in.asMap().values()) {
            if (v instanceof NDArray a) {
                s.add(a);
            } else if (v instanceof EncoderOutput e) {
                s.addAll(asEncoderOutput(e, "encoder_outputs").toMap().values());
            } else if (v instanceof ModelOutput o) {
                s.addAll(o.toMap().values());
            } else if (v instanceof List<?> list) {
                for (Object layer : list) {
                    if (layer instanceof NDArray[] arrays) {
                        s.addAll(List.of(arrays));
                    }
                }
            }
        }
        return s;
    }

    /**
     * Puts what a part's forward returned into the current scope, so what this forward does not return is freed with
     * it (a part's forward lets its outputs outlive its own scope). Tensors that were arguments stay untouched: a
     * decoder step hands back the cross-attention cache it was given.
     */
    private static <O extends ModelOutput> O adopt(O output, Set<NDArray> given) {
        for (NDArray a : output.toMap().values()) {
            if (!given.contains(a)) {
                NDScope.register(a);
            }
        }
        return output;
    }

    /** Lets the tensors of {@code output} outlive the forward's scope; they stay in the input's manager. */
    private static <O extends ModelOutput> O keep(O output) {
        for (NDArray a : output.toMap().values()) {
            NDScope.unregister(a);
        }
        return output;
    }
}
