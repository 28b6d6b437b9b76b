package io.transformers4j.models.blenderbot_small;

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
import io.transformers4j.weights.Init;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * BlenderbotSmall with its language-modelling head (the facebook/blenderbot_small-90M chat model). Port of
 * {@code BlenderbotSmallForConditionalGeneration} (models/blenderbot_small/modeling_blenderbot_small.py).
 *
 * <p>The head is the shared embedding matrix ({@code lm_head.weight} tied, absent from checkpoints) plus
 * {@code final_logits_bias} (1, vocab), a buffer the checkpoint stores (zeros when it does not, without a warning, as
 * in Python). For generation, {@link #encode} and {@link #decode} (see {@link Seq2SeqLM}).
 */
public class BlenderbotSmallForConditionalGeneration extends BlenderbotSmallPreTrainedModel implements Seq2SeqLM, GenerationModel {

    public static final ModelClass<BlenderbotSmallConfig, BlenderbotSmallForConditionalGeneration> CLASS =
            new ModelClass<>("BlenderbotSmallForConditionalGeneration", BlenderbotSmallConfig.class, BASE_MODEL_PREFIX,
                    true, BlenderbotSmallForConditionalGeneration::new);

    static final Set<String> INPUTS = ModelInputs.names(BlenderbotSmallModel.INPUTS, "labels");

    private final BlenderbotSmallModel model;
    private final NDArray finalLogitsBias; // (1, vocab)
    private final Linear lmHead;           // weight (vocab, d_model), no bias
    private volatile GenerationConfig generationConfig;

    public BlenderbotSmallForConditionalGeneration(BlenderbotSmallConfig config, Weights w) {
        super(config, w);
        this.model = new BlenderbotSmallModel(config, w.prefix("model"));
        this.finalLogitsBias = w.get("final_logits_bias", Init.ZEROS, 1, config.vocabSize());
        w.ignoreMissing("^final_logits_bias$"); // Python's _keys_to_ignore_on_load_missing
        this.lmHead = config.tieWordEmbeddings()
                ? new Linear(w.tie("lm_head.weight", model.shared().weight), null)
                : new Linear(w.prefix("lm_head"), config.dModel(), config.vocabSize(), false);
    }

    public static BlenderbotSmallForConditionalGeneration fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static BlenderbotSmallForConditionalGeneration fromPretrained(String repoIdOrPath) throws IOException {
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
        boolean useCache = inputs.flag("use_cache", config().useCache());
        if (labels != null) {
            useCache = false; // Python turns the cache off when labels are given
            if (decoderInputIds == null && !inputs.has("decoder_inputs_embeds")) {
                decoderInputIds = shiftTokensRight(labels, config().padTokenId(), config().decoderStartTokenId());
            }
        }
        Seq2SeqModelOutput out = model.run(inputs, decoderInputIds, useCache);
        NDArray logits = lmHead.forward(out.lastHiddenState()).add(finalLogitsBias); // (B, T, vocab)
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
        return config().maxPositionEmbeddings();
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

    /** Python's {@code BlenderbotSmallForConditionalGeneration.prepare_inputs_for_generation} (see {@link Seq2SeqGeneration}). */
    @Override
    public ModelInputs prepareInputsForGeneration(NDArray decoderInputIds, ModelKwargs kwargs) {
        return Seq2SeqGeneration.prepareInputsForGeneration(decoderInputIds, kwargs, false);
    }

    @Override
    public GenerationStepOutput forwardForGeneration(ModelInputs inputs) {
        return Seq2SeqGeneration.stepOutput(forward(inputs));
    }
}
