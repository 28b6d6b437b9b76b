package io.transformers4j.models.longt5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.generation.EncoderOutput;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.generation.GenerationModel;
import io.transformers4j.generation.GenerationStepOutput;
import io.transformers4j.generation.ModelKwargs;
import io.transformers4j.hub.ModelFiles;
import io.transformers4j.models.Seq2SeqGeneration;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.Seq2SeqLM;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.Seq2SeqLMOutput;
import io.transformers4j.modeling.outputs.Seq2SeqModelOutput;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * LongT5 with its language-modelling head (summarisation of long documents). Port of
 * {@code LongT5ForConditionalGeneration} (models/longt5/modeling_longt5.py): as T5's, the tied head is the
 * {@code shared} matrix applied to the decoder output scaled by d_model^-0.5; labels become the shifted decoder
 * inputs. For generation, {@link #encode} and {@link #decode} (see {@link Seq2SeqLM}).
 */
public class LongT5ForConditionalGeneration extends LongT5PreTrainedModel implements Seq2SeqLM, GenerationModel {

    public static final ModelClass<LongT5Config, LongT5ForConditionalGeneration> CLASS = new ModelClass<>(
            "LongT5ForConditionalGeneration", LongT5Config.class, BASE_MODEL_PREFIX, false,
            LongT5ForConditionalGeneration::new);

    static final Set<String> INPUTS = ModelInputs.names(LongT5Model.INPUTS, "labels");

    /** shared / encoder / decoder, at the checkpoint's root as in Python. */
    private final LongT5Model model;
    private final Linear lmHead; // weight (vocab, d_model), no bias
    private volatile GenerationConfig generationConfig;

    public LongT5ForConditionalGeneration(LongT5Config config, Weights w) {
        super(config, w);
        this.model = new LongT5Model(config, w);
        this.lmHead = config.tieWordEmbeddings()
                ? new Linear(w.tie("lm_head.weight", model.shared().weight), null)
                : new Linear(w.prefix("lm_head"), config.dModel(), config.vocabSize(), false);
    }

    public static LongT5ForConditionalGeneration fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static LongT5ForConditionalGeneration fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public Seq2SeqLMOutput forward(ModelInputs inputs) {
        begin(inputs, INPUTS);
        try (NDScope scope = new NDScope()) {
            return keep(run(inputs));
        }
    }

    private Seq2SeqLMOutput run(ModelInputs inputs) {
        NDArray labels = inputs.labels();
        NDArray decoderInputIds = inputs.decoderInputIds();
        if (labels != null && decoderInputIds == null && !inputs.has("decoder_inputs_embeds")) {
            decoderInputIds = shiftRight(labels);
        }
        Seq2SeqModelOutput out = model.run(inputs, decoderInputIds);
        NDArray sequenceOutput = out.lastHiddenState();
        if (config().tieWordEmbeddings()) {
            // Rescale before projecting on the (tied) vocabulary, as Mesh TensorFlow does.
            sequenceOutput = sequenceOutput.mul((float) Math.pow(config().dModel(), -0.5));
        }
        NDArray logits = lmHead.forward(sequenceOutput); // (B, T, vocab)
        NDArray loss = labels == null ? null : Losses.crossEntropy(logits, labels);
        return new Seq2SeqLMOutput(loss, logits, out.pastKeyValues(), out.decoderHiddenStates(),
                out.decoderAttentions(), out.crossAttentions(), out.encoderLastHiddenState(),
                out.encoderHiddenStates(), out.encoderAttentions());
    }

    @Override
    public BaseModelOutput encode(NDArray inputIds, NDArray attentionMask) {
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            return keep(model.runEncoder(inputIds, attentionMask, null, null, false, false));
        }
    }

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
        return config().decoderStartTokenId();
    }

    // ---------------------------------------------------------------- generation

    @Override
    protected void loadedFrom(ModelFiles files) throws IOException {
        generationConfig = GenerationConfig.forModel(files, config());
    }

    @Override
    public GenerationConfig generationConfig() {
        GenerationConfig g = generationConfig;
        if (g == null) {
            g = GenerationConfig.fromModelConfig(config());
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

    @Override
    public Integer maxPositionEmbeddings() {
        return null;
    }

    @Override
    public Set<String> modelKwargNames() {
        return INPUTS;
    }

    /** The encoder once, with generate()'s output_attentions / output_hidden_states. */
    @Override
    public EncoderOutput encode(ModelInputs encoderInputs) {
        Torch.ensureThreadReady();
        checkOpen();
        Seq2SeqGeneration.EncoderArgs a = Seq2SeqGeneration.EncoderArgs.of(encoderInputs);
        try (NDScope scope = new NDScope()) {
            return Seq2SeqGeneration.encoderOutput(keep(model.runEncoder(a.inputIds(), a.attentionMask(),
                    a.inputsEmbeds(), a.headMask(), a.outputAttentions(), a.outputHiddenStates())));
        }
    }

    /** Python's {@code LongT5ForConditionalGeneration.prepare_inputs_for_generation} (see {@link Seq2SeqGeneration}). */
    @Override
    public ModelInputs prepareInputsForGeneration(NDArray decoderInputIds, ModelKwargs kwargs) {
        return Seq2SeqGeneration.prepareInputsForGeneration(decoderInputIds, kwargs, true);
    }

    @Override
    public GenerationStepOutput forwardForGeneration(ModelInputs inputs) {
        return Seq2SeqGeneration.stepOutput(forward(inputs));
    }
}
