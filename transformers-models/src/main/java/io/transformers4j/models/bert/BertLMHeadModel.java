package io.transformers4j.models.bert;

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
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.modeling.outputs.CausalLMOutputWithCrossAttentions;
import io.transformers4j.nn.Losses;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BERT as a causal language model (needs {@code is_decoder}); with {@code add_cross_attention} the decoder half of
 * an encoder-decoder. Port of {@code BertLMHeadModel} (modeling_bert.py).
 *
 * <p>Extra arguments: {@code encoder_hidden_states}, {@code encoder_attention_mask}, {@code past_key_values} (per
 * layer {key, value} or, with cross-attention, {key, value, cross key, cross value}; the attention_mask must then
 * cover past and new tokens), {@code use_cache} (default: the config's), and {@code labels} (batch, seq): the loss is
 * the cross-entropy of position t's logits against label t + 1 (-100 ignored); labels turn the cache off.
 *
 * <p>As a {@link GenerationModel} it generates like Python's (absolute positions continue from the cache length; no
 * position ids from the attention mask, so prompts are best not padded).
 */
public class BertLMHeadModel extends BertPreTrainedModel implements GenerationModel {

    private static final Logger LOG = LoggerFactory.getLogger(BertLMHeadModel.class);

    public static final ModelClass<BertConfig, BertLMHeadModel> CLASS =
            modelClass("BertLMHeadModel", true, BertLMHeadModel::new);

    static final Set<String> ARGUMENTS = arguments("encoder_hidden_states", "encoder_attention_mask", "labels",
            "past_key_values", "use_cache");

    final BertModel bert;
    final BertOnlyMLMHead cls;
    private volatile GenerationConfig generationConfig;

    public BertLMHeadModel(BertConfig config, Weights w) {
        super(config, w);
        if (!config.isDecoder()) {
            LOG.warn("If you want to use `BertLMHeadModel` as a standalone, add `is_decoder=True.`");
        }
        this.bert = new BertModel(config, w.prefix("bert"), false);
        this.cls = new BertOnlyMLMHead(config, w.prefix("cls"), bert.inputEmbeddings());
    }

    public static BertLMHeadModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static BertLMHeadModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public CausalLMOutputWithCrossAttentions forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        NDArray labels = inputs.labels();
        if (labels != null) {
            inputs = inputs.toBuilder().useCache(false).build();
        }
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = bert.run(inputs);
            NDArray predictionScores = cls.forward(outputs.lastHiddenState()); // (B, T, vocab)
            NDArray lmLoss = labels == null ? null : Losses.nextTokenCrossEntropy(predictionScores, labels);
            return keep(new CausalLMOutputWithCrossAttentions(lmLoss, predictionScores, outputs.pastKeyValues(),
                    outputs.hiddenStates(), outputs.attentions(), outputs.crossAttentions()));
        }
    }

    public CausalLMOutputWithCrossAttentions forward(NDArray inputIds) {
        return forward(inputs(inputIds, null, null));
    }

    public CausalLMOutputWithCrossAttentions forward(NDArray inputIds, NDArray attentionMask) {
        return forward(inputs(inputIds, attentionMask, null));
    }

    public CausalLMOutputWithCrossAttentions forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
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
        return false;
    }

    @Override
    public Integer maxPositionEmbeddings() {
        return config().maxPositionEmbeddings();
    }

    @Override
    public Set<String> modelKwargNames() {
        return ARGUMENTS;
    }

    /**
     * Python's {@code BertLMHeadModel.prepare_inputs_for_generation}: an all-ones attention mask when none is given,
     * only the tokens the cache lacks, and the cache.
     */
    @Override
    public ModelInputs prepareInputsForGeneration(NDArray inputIds, ModelKwargs kwargs) {
        NDArray attentionMask = kwargs.attentionMask();
        if (attentionMask == null) {
            attentionMask = inputIds.onesLike().toType(DataType.INT64, false);
        }
        List<NDArray[]> past = PastKeyValues.legacy(kwargs.pastKeyValues(), "BertLMHeadModel");
        if (past != null) {
            long pastLength = past.get(0)[0].getShape().get(2);
            long len = inputIds.getShape().get(1);
            long removePrefixLength = len > pastLength ? pastLength : len - 1;
            inputIds = inputIds.get(new NDIndex(":, {}:", removePrefixLength));
        }
        return ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).pastKeyValues(past)
                .useCache(kwargs.useCache()).build();
    }

    @Override
    public GenerationStepOutput forwardForGeneration(ModelInputs inputs) {
        CausalLMOutputWithCrossAttentions out = forward(inputs);
        return new GenerationStepOutput(out.logits(), out.pastKeyValues(), out.hiddenStates(), out.attentions(),
                out.crossAttentions());
    }
}
