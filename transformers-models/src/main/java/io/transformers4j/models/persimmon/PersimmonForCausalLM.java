package io.transformers4j.models.persimmon;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.generation.GenerationModel;
import io.transformers4j.generation.GenerationStepOutput;
import io.transformers4j.generation.ModelKwargs;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.hub.ModelFiles;
import io.transformers4j.models.CausalLMGeneration;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPast;
import io.transformers4j.modeling.outputs.CausalLMOutputWithPast;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * Persimmon with its language-modelling head: next-token logits at every position. Port of {@code PersimmonForCausalLM}.
 *
 * <pre>{@code
 * try (PersimmonForCausalLM model = PersimmonForCausalLM.fromPretrained("adept/persimmon-8b-base")) {
 *     CausalLMOutputWithPast out = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask).build());
 *     NDArray next = out.logits().get(":, -1, :").argMax(-1);
 * }
 * }</pre>
 *
 * Unlike Llama and Mistral, Python does not upcast Persimmon's logits: they have the weights' type.
 */
public class PersimmonForCausalLM extends PreTrainedModel implements GenerationModel {

    public static final ModelClass<PersimmonConfig, PersimmonForCausalLM> CLASS =
            new ModelClass<>("PersimmonForCausalLM", PersimmonConfig.class, "model", true, PersimmonForCausalLM::new);

    static final Set<String> INPUTS = ModelInputs.names(PersimmonModel.INPUTS, "labels", "num_logits_to_keep");

    private final PersimmonConfig config;
    private final PersimmonModel model;
    private final Linear lmHead; // weight (vocab, hidden), no bias
    private volatile GenerationConfig generationConfig;

    public PersimmonForCausalLM(PersimmonConfig config, Weights w) {
        super(config, w);
        this.config = config;
        this.model = new PersimmonModel(config, w.prefix("model"));
        if (config.tieWordEmbeddings()) {
            // _tied_weights_keys = ["lm_head.weight"]: the head is the embedding matrix; checkpoints leave it out.
            this.lmHead = new Linear(w.tie("lm_head.weight", model.embedTokens().weight), null);
        } else {
            this.lmHead = new Linear(w.prefix("lm_head"), config.hiddenSize(), config.vocabSize(), false);
        }
    }

    public static PersimmonForCausalLM fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static PersimmonForCausalLM fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public PersimmonConfig config() {
        return config;
    }

    /** The decoder under the head ({@code model.model}). */
    public PersimmonModel model() {
        return model;
    }

    @Override
    public CausalLMOutputWithPast forward(ModelInputs inputs) {
        inputs.requireOnly("PersimmonForCausalLM", INPUTS);
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPast outputs = model.run(inputs);
            // (B, T, V), or (B, N, V) for num_logits_to_keep = N
            NDArray logits = lmHead.forward(CausalLMGeneration.hiddenForLogits(outputs.lastHiddenState(), inputs));
            NDArray labels = inputs.labels();
            NDArray loss = labels == null ? null : Losses.nextTokenCrossEntropy(logits, labels);
            CausalLMOutputWithPast out = new CausalLMOutputWithPast(loss, logits, outputs.pastKeyValues(),
                    outputs.hiddenStates(), outputs.attentions());
            PersimmonModel.keep(out);
            return out;
        }
    }

    public CausalLMOutputWithPast forward(NDArray inputIds, NDArray attentionMask) {
        return forward(ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).build());
    }

    // ---------------------------------------------------------------- generation

    @Override
    protected void loadedFrom(ModelFiles files) throws IOException {
        generationConfig = GenerationConfig.forModel(files, config);
    }

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
        return false;
    }

    @Override
    public Integer maxPositionEmbeddings() {
        return config.maxPositionEmbeddings();
    }

    @Override
    public Set<String> modelKwargNames() {
        return INPUTS;
    }

    /** Python's {@code _supports_cache_class = True}: past_key_values may be a Cache (DynamicCache, SinkCache). */
    @Override
    public boolean supportsCacheClass() {
        return true;
    }

    /**
     * Python's {@code PersimmonForCausalLM.prepare_inputs_for_generation} (the Llama family's, see
     * {@link CausalLMGeneration}).
     */
    @Override
    public ModelInputs prepareInputsForGeneration(NDArray inputIds, ModelKwargs kwargs) {
        return CausalLMGeneration.prepareInputsForGeneration(inputIds, kwargs);
    }

    /** Python's causal LMs from 4.45: the LM head on the last {@code num_logits_to_keep} positions only. */
    @Override
    public boolean acceptsNumLogitsToKeep() {
        return true;
    }

    /** A Cache object passed in is the next step's cache (the output record holds only the legacy form). */
    @Override
    public GenerationStepOutput forwardForGeneration(ModelInputs inputs) {
        return CausalLMGeneration.stepOutput(inputs, forward(inputs), config.useCache());
    }

    /**
     * {@code cache_implementation="static"} (Llama's {@code _setup_cache} in 4.39, extended to Persimmon here): a
     * (batch, heads, max_cache_len, head_dim) buffer per layer in the model's dtype, written at
     * {@code cache_position}.
     */
    @Override
    public Object newCache(String cacheImplementation, int maxBatchSize, int maxCacheLen) {
        if (!"static".equals(cacheImplementation)) {
            return GenerationModel.super.newCache(cacheImplementation, maxBatchSize, maxCacheLen);
        }
        return StaticCache.fromConfig(config, maxBatchSize, maxCacheLen, dtype(), null);
    }
}
