package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.modeling.AttentionMasks;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * The bare NEZHA transformer (Wei et al. 2019, a BERT with functional relative positions instead of absolute position
 * embeddings): embeddings, encoder, and (with {@code add_pooling_layer}) the pooler. Port of {@code NezhaModel}
 * (models/nezha/modeling_nezha.py).
 *
 * <pre>{@code
 * try (NezhaModel model = NezhaModel.fromPretrained("sijunhe/nezha-cn-base")) {
 *     BaseModelOutputWithPoolingAndCrossAttentions out = model.forward(inputIds, attentionMask, tokenTypeIds);
 * }
 * }</pre>
 *
 * With {@code is_decoder} its self-attention is causal; with {@code add_cross_attention} too each layer attends to
 * {@code encoder_hidden_states}. Python's relative positions limit both: see {@link NezhaSelfAttention}.
 */
public class NezhaModel extends NezhaPreTrainedModel {

    public static final ModelClass<NezhaConfig, NezhaModel> CLASS = modelClass("NezhaModel", false, NezhaModel::new);

    static final Set<String> ARGUMENTS = arguments("encoder_hidden_states", "encoder_attention_mask",
            "past_key_values", "use_cache");

    final NezhaEmbeddings embeddings;
    final NezhaEncoder encoder;
    final Linear pooler; // pooler.dense (hidden, hidden), then tanh; null without add_pooling_layer

    public NezhaModel(NezhaConfig config, Weights w) {
        this(config, w, true);
    }

    public NezhaModel(NezhaConfig config, Weights w, boolean addPoolingLayer) {
        super(config, w);
        this.embeddings = new NezhaEmbeddings(config, w.prefix("embeddings"));
        this.encoder = new NezhaEncoder(config, w.prefix("encoder"));
        this.pooler = addPoolingLayer
                ? new Linear(w.prefix("pooler").prefix("dense"), config.hiddenSize(), config.hiddenSize(), true) : null;
    }

    public static NezhaModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static NezhaModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    /** The word-embedding matrix (vocab, hidden): Python's {@code get_input_embeddings().weight}. */
    public NDArray inputEmbeddings() {
        return embeddings.wordEmbeddings.weight;
    }

    /**
     * Runs the model. Arguments (Python names): input_ids or inputs_embeds, attention_mask, token_type_ids, head_mask,
     * encoder_hidden_states, encoder_attention_mask, past_key_values, use_cache, output_attentions,
     * output_hidden_states. The tensors returned belong to the first input's manager.
     */
    @Override
    public BaseModelOutputWithPoolingAndCrossAttentions forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            return keep(run(inputs));
        }
    }

    public BaseModelOutputWithPoolingAndCrossAttentions forward(NDArray inputIds, NDArray attentionMask,
            NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }

    /** The forward without a scope of its own: the heads call it inside theirs. Reads only the arguments it knows. */
    BaseModelOutputWithPoolingAndCrossAttentions run(ModelInputs in) {
        NezhaConfig c = config();
        boolean outputAttentions = in.flag("output_attentions", c.outputAttentions());
        boolean outputHiddenStates = in.flag("output_hidden_states", c.outputHiddenStates());
        boolean useCache = c.isDecoder() && in.flag("use_cache", c.useCache());

        NDArray inputIds = in.inputIds();
        NDArray inputsEmbeds = in.inputsEmbeds();
        if (inputIds != null && inputsEmbeds != null) {
            throw new IllegalArgumentException("You cannot specify both input_ids and inputs_embeds at the same time");
        } else if (inputIds == null && inputsEmbeds == null) {
            throw new IllegalArgumentException("You have to specify either input_ids or inputs_embeds");
        }
        NDArray first = inputIds != null ? inputIds : inputsEmbeds;
        if (first.getShape().dimension() != (inputIds != null ? 2 : 3)) {
            throw new IllegalArgumentException(inputIds != null
                    ? "input_ids must be (batch, seq), got shape " + first.getShape()
                    : "inputs_embeds must be (batch, seq, hidden), got shape " + first.getShape());
        }
        long batch = first.getShape().get(0);
        long seq = first.getShape().get(1);
        NDManager manager = first.getManager();

        List<NDArray[]> past = in.pastKeyValues();
        long pastLength = 0;
        if (past != null) {
            if (past.size() != encoder.layer.size()) {
                throw new IllegalArgumentException("past_key_values has " + past.size() + " layers but the model has "
                        + encoder.layer.size());
            }
            pastLength = past.get(0)[0].getShape().get(2);
        }

        DataType dtype = embeddings.wordEmbeddings.weight.getDataType();
        NDArray attentionMask = in.attentionMask();
        if (attentionMask == null) {
            attentionMask = manager.ones(new Shape(batch, seq + pastLength));
        }
        NDArray extendedAttentionMask = AttentionMasks.extendedAttentionMask(attentionMask, seq, c.isDecoder(), dtype);

        NDArray encoderHidden = in.encoderHiddenStates();
        NDArray encoderExtendedAttentionMask = null;
        if (c.isDecoder() && encoderHidden != null) {
            NDArray encoderMask = in.encoderAttentionMask();
            if (encoderMask == null) {
                Shape es = encoderHidden.getShape();
                encoderMask = manager.ones(new Shape(es.get(0), es.get(1)));
            }
            encoderExtendedAttentionMask = AttentionMasks.invertAttentionMask(encoderMask, dtype);
        }
        NDArray headMask = in.headMask() == null ? null : in.headMask().toType(dtype, false);

        NDArray embeddingOutput = embeddings.forward(inputIds, in.tokenTypeIds(), inputsEmbeds);
        BaseModelOutputWithPastAndCrossAttentions enc = encoder.forward(embeddingOutput, extendedAttentionMask,
                headMask, encoderHidden, encoderExtendedAttentionMask, past, useCache, outputAttentions,
                outputHiddenStates);
        NDArray sequenceOutput = enc.lastHiddenState();
        // NezhaPooler: tanh(dense(first token))
        NDArray pooledOutput = pooler == null ? null
                : pooler.forward(sequenceOutput.get(new NDIndex(":, 0"))).tanh(); // (B, hidden)
        return new BaseModelOutputWithPoolingAndCrossAttentions(sequenceOutput, pooledOutput, enc.pastKeyValues(),
                enc.hiddenStates(), enc.attentions(), enc.crossAttentions());
    }
}
