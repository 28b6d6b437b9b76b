package io.transformers4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.generation.GenerationModel;
import io.transformers4j.generation.GenerationStepOutput;
import io.transformers4j.generation.ModelKwargs;
import io.transformers4j.generation.PastKeyValues;
import io.transformers4j.hub.ModelFiles;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.modeling.outputs.CausalLMOutputWithCrossAttentions;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * GPT-2 with its language-modelling head: logits over the vocabulary for the next token at every position. Port of
 * {@code GPT2LMHeadModel}; {@link #generate} runs Python's {@code generate()} strategies over it.
 *
 * <pre>{@code
 * try (GPT2LMHeadModel model = GPT2LMHeadModel.fromPretrained("openai-community/gpt2")) {
 *     CausalLMOutputWithCrossAttentions out = model.forward(ModelInputs.builder()
 *             .inputIds(ids).attentionMask(mask).labels(ids).build());
 *     float loss = out.loss().getFloat();
 *     GenerateOutput gen = model.generate(ids, mask, model.generationConfig().with("max_new_tokens", 20));
 * }
 * }</pre>
 */
public class GPT2LMHeadModel extends PreTrainedModel implements GenerationModel {

    public static final ModelClass<GPT2Config, GPT2LMHeadModel> CLASS =
            new ModelClass<>("GPT2LMHeadModel", GPT2Config.class, "transformer", true, GPT2LMHeadModel::new);

    static final Set<String> INPUTS = ModelInputs.names(GPT2Model.INPUTS, "labels");

    private final GPT2Config config;
    private final GPT2Model transformer;
    private final Linear lmHead; // weight (vocab, hidden), no bias
    private volatile GenerationConfig generationConfig;

    public GPT2LMHeadModel(GPT2Config config, Weights w) {
        super(config, w);
        this.config = config;
        this.transformer = new GPT2Model(config, w.prefix("transformer"));
        if (config.tieWordEmbeddings()) {
            // Python's _tied_weights_keys = ["lm_head.weight"]: the head IS the token embedding matrix, so
            // save_pretrained leaves it out of checkpoints and loading re-ties it.
            this.lmHead = new Linear(w.tie("lm_head.weight", transformer.wte().weight), null);
        } else {
            this.lmHead = new Linear(w.prefix("lm_head"), config.hiddenSize(), config.vocabSize(), false);
        }
    }

    public static GPT2LMHeadModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static GPT2LMHeadModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public GPT2Config config() {
        return config;
    }

    /** The decoder under the head ({@code model.transformer}). */
    public GPT2Model transformer() {
        return transformer;
    }

    @Override
    public CausalLMOutputWithCrossAttentions forward(ModelInputs inputs) {
        inputs.requireOnly("GPT2LMHeadModel", INPUTS);
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPastAndCrossAttentions t = transformer.run(inputs);
            NDArray logits = lmHead.forward(t.lastHiddenState()); // (B, T, vocab)

            NDArray labels = inputs.labels();
            NDArray loss = labels == null ? null : Losses.nextTokenCrossEntropy(logits, labels);
            CausalLMOutputWithCrossAttentions out = new CausalLMOutputWithCrossAttentions(loss, logits,
                    t.pastKeyValues(), t.hiddenStates(), t.attentions(), t.crossAttentions());
            GPT2Model.keep(out);
            return out;
        }
    }

    public CausalLMOutputWithCrossAttentions forward(NDArray inputIds) {
        return forward(ModelInputs.builder().inputIds(inputIds).build());
    }

    public CausalLMOutputWithCrossAttentions forward(NDArray inputIds, NDArray attentionMask) {
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

    /**
     * Python's {@code GPT2LMHeadModel.prepare_inputs_for_generation}: only the tokens the cache lacks, position ids
     * from the attention mask (cumsum - 1, 1 at pads: left padding does not shift the real tokens' positions), and
     * inputs_embeds on the first step only.
     */
    @Override
    public ModelInputs prepareInputsForGeneration(NDArray inputIds, ModelKwargs kwargs) {
        NDArray tokenTypeIds = kwargs.tokenTypeIds();
        List<NDArray[]> past = PastKeyValues.legacy(kwargs.pastKeyValues(), "GPT2LMHeadModel");
        boolean hasPast = past != null && !past.isEmpty();
        if (hasPast) {
            long pastLength = past.get(0)[0].getShape().get(2);
            long len = inputIds.getShape().get(1);
            // some strategies already pass only the new tokens; otherwise keep what the cache does not cover
            long removePrefixLength = len > pastLength ? pastLength : len - 1;
            inputIds = inputIds.get(new NDIndex(":, {}:", removePrefixLength));
            if (tokenTypeIds != null) {
                tokenTypeIds = tokenTypeIds.get(new NDIndex(":, {}:", -inputIds.getShape().get(1)));
            }
        }
        NDArray attentionMask = kwargs.attentionMask();
        NDArray positionIds = null;
        if (attentionMask != null && kwargs.positionIds() == null) {
            // create position_ids on the fly for batch generation
            NDArray mask = attentionMask.toType(DataType.INT64, false);
            NDArray isPad = mask.eq(0).toType(DataType.INT64, false);
            positionIds = mask.cumSum(1).sub(1).mul(isPad.neg().add(1)).add(isPad); // masked_fill(mask == 0, 1)
            if (hasPast) {
                positionIds = positionIds.get(new NDIndex(":, {}:", -inputIds.getShape().get(1)));
            }
        }
        ModelInputs.Builder b = ModelInputs.builder();
        // inputs_embeds are only used in the first step
        if (kwargs.inputsEmbeds() != null && kwargs.pastKeyValues() == null) {
            b.inputsEmbeds(kwargs.inputsEmbeds());
        } else {
            b.inputIds(inputIds);
        }
        return b.pastKeyValues(past).useCache(kwargs.useCache()).positionIds(positionIds)
                .attentionMask(attentionMask).tokenTypeIds(tokenTypeIds).build();
    }

    @Override
    public GenerationStepOutput forwardForGeneration(ModelInputs inputs) {
        CausalLMOutputWithCrossAttentions out = forward(inputs);
        return new GenerationStepOutput(out.logits(), out.pastKeyValues(), out.hiddenStates(), out.attentions(),
                out.crossAttentions());
    }
}
