package io.transformers4j.models.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The bare BERT transformer: embeddings, encoder, and (with {@code add_pooling_layer}) the pooler. Port of
 * {@code BertModel} (modeling_bert.py).
 *
 * <p>With {@code is_decoder} it is a causal decoder (its padding mask is combined with a causal one) that returns and
 * accepts {@code past_key_values}; with {@code add_cross_attention} too, each layer also attends to
 * {@code encoder_hidden_states}.
 */
public class BertModel extends BertPreTrainedModel {

    public static final ModelClass<BertConfig, BertModel> CLASS = modelClass("BertModel", false, BertModel::new);

    static final Set<String> ARGUMENTS = arguments("encoder_hidden_states", "encoder_attention_mask",
            "past_key_values", "use_cache");

    final BertEmbeddings embeddings;
    final BertEncoder encoder;
    final BertPooler pooler; // null without add_pooling_layer

    public BertModel(BertConfig config, Weights w) {
        this(config, w, true);
    }

    public BertModel(BertConfig config, Weights w, boolean addPoolingLayer) {
        super(config, w);
        this.embeddings = new BertEmbeddings(config, w.prefix("embeddings"));
        this.encoder = new BertEncoder(config, w.prefix("encoder"));
        this.pooler = addPoolingLayer ? new BertPooler(config, w.prefix("pooler")) : null;
    }

    public static BertModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static BertModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    /** Python's {@code BertModel.from_pretrained(..., add_pooling_layer=False)}. */
    public static BertModel fromPretrained(String repoIdOrPath, LoadOptions options, boolean addPoolingLayer)
            throws IOException {
        ModelClass<BertConfig, BertModel> cls = addPoolingLayer ? CLASS
                : modelClass("BertModel", false, (c, w) -> new BertModel(c, w, false));
        return PreTrainedModel.fromPretrained(cls, repoIdOrPath, options);
    }

    /** The word-embedding matrix (vocab, hidden): Python's {@code get_input_embeddings().weight}. */
    public NDArray inputEmbeddings() {
        return embeddings.wordEmbeddings.weight;
    }

    /**
     * Runs the model. Arguments (Python names): input_ids or inputs_embeds, attention_mask, token_type_ids,
     * position_ids, head_mask, encoder_hidden_states, encoder_attention_mask, past_key_values, use_cache,
     * output_attentions, output_hidden_states. The tensors returned belong to the first input's manager.
     */
    @Override
    public BaseModelOutputWithPoolingAndCrossAttentions forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            return keep(run(inputs));
        }
    }

    public BaseModelOutputWithPoolingAndCrossAttentions forward(NDArray inputIds) {
        return forward(inputs(inputIds, null, null));
    }

    public BaseModelOutputWithPoolingAndCrossAttentions forward(NDArray inputIds, NDArray attentionMask) {
        return forward(inputs(inputIds, attentionMask, null));
    }

    public BaseModelOutputWithPoolingAndCrossAttentions forward(NDArray inputIds, NDArray attentionMask,
            NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }

    /** The forward without a scope of its own: the heads call it inside theirs. Reads only the arguments it knows. */
    BaseModelOutputWithPoolingAndCrossAttentions run(ModelInputs in) {
        BertConfig c = config();
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
        NDArray extendedAttentionMask = extendedAttentionMask(attentionMask, seq, pastLength, dtype);

        NDArray encoderHidden = in.encoderHiddenStates();
        NDArray encoderExtendedAttentionMask = null;
        if (c.isDecoder() && encoderHidden != null) {
            NDArray encoderMask = in.encoderAttentionMask();
            if (encoderMask == null) {
                Shape es = encoderHidden.getShape();
                encoderMask = manager.ones(new Shape(es.get(0), es.get(1)));
            }
            encoderExtendedAttentionMask = invertAttentionMask(encoderMask, dtype);
        }
        NDArray headMask = headMask(in.headMask(), c.numHiddenLayers(), dtype);

        NDArray embeddingOutput = embeddings.forward(inputIds, in.tokenTypeIds(), in.positionIds(), inputsEmbeds,
                pastLength);
        BaseModelOutputWithPastAndCrossAttentions enc = encoder.forward(embeddingOutput, extendedAttentionMask,
                headMask, encoderHidden, encoderExtendedAttentionMask, past, useCache, outputAttentions,
                outputHiddenStates);
        NDArray sequenceOutput = enc.lastHiddenState();
        NDArray pooledOutput = pooler == null ? null : pooler.forward(sequenceOutput);
        return new BaseModelOutputWithPoolingAndCrossAttentions(sequenceOutput, pooledOutput, enc.pastKeyValues(),
                enc.hiddenStates(), enc.attentions(), enc.crossAttentions());
    }

    // ---------------------------------------------------------------- masks (Python's ModuleUtilsMixin)

    /**
     * Python's {@code get_extended_attention_mask}: a 1/0 mask (batch, past + seq), or (batch, seq, past + seq), becomes
     * an additive one broadcastable to (batch, heads, seq, past + seq): 0 where attended, finfo(dtype).min where not
     * (not -inf, so a fully masked row still softmaxes to uniform weights). Decoders also mask future positions.
     */
    NDArray extendedAttentionMask(NDArray attentionMask, long seq, long pastLength, DataType dtype) {
        Shape s = attentionMask.getShape();
        NDArray mask = attentionMask.toType(dtype, false);
        NDArray extended;
        if (s.dimension() == 3) {
            extended = mask.expandDims(1); // (B, 1, seq, total)
        } else if (s.dimension() == 2) {
            long total = s.get(1);
            if (total != seq + pastLength) {
                throw new IllegalArgumentException("attention_mask has " + total + " columns but the input has " + seq
                        + " tokens after " + pastLength + " cached ones: it must cover past and new tokens");
            }
            extended = mask.reshape(s.get(0), 1, 1, total); // (B, 1, 1, total)
            if (config().isDecoder()) {
                // Query i (at absolute position past + i) sees keys j <= past + i; cached keys are all visible.
                NDManager m = attentionMask.getManager();
                NDArray rows = m.arange(0, (int) seq, 1, DataType.INT64).add(pastLength).reshape(seq, 1);
                NDArray cols = m.arange(0, (int) total, 1, DataType.INT64).reshape(1, total);
                NDArray causal = cols.lte(rows).toType(dtype, false).reshape(1, 1, seq, total);
                extended = causal.mul(extended); // (B, 1, seq, total)
            }
        } else {
            throw new IllegalArgumentException("Wrong shape for attention_mask " + s
                    + ": expected (batch, seq) or (batch, seq, seq)");
        }
        return toAdditive(extended, dtype);
    }

    /** Python's {@code invert_attention_mask}: the encoder's 1/0 mask as an additive (batch, 1, 1 or q, enc_len). */
    static NDArray invertAttentionMask(NDArray encoderAttentionMask, DataType dtype) {
        Shape s = encoderAttentionMask.getShape();
        NDArray mask = encoderAttentionMask.toType(dtype, false);
        NDArray extended;
        if (s.dimension() == 3) {
            extended = mask.expandDims(1);
        } else if (s.dimension() == 2) {
            extended = mask.reshape(s.get(0), 1, 1, s.get(1));
        } else {
            throw new IllegalArgumentException("Wrong shape for encoder_attention_mask " + s
                    + ": expected (batch, enc_len) or (batch, seq, enc_len)");
        }
        return toAdditive(extended, dtype);
    }

    /** (1 - mask) * finfo(dtype).min, as Python computes it. */
    private static NDArray toAdditive(NDArray mask, DataType dtype) {
        return mask.neg().add(1f).mul(finfoMin(dtype));
    }

    private static Number finfoMin(DataType dtype) {
        switch (dtype) {
            case FLOAT32: return -Float.MAX_VALUE;
            case FLOAT16: return -65504f;
            case FLOAT64: return -Double.MAX_VALUE;
            default:
                throw new UnsupportedOperationException("BERT's attention masks support float32, float16 and float64 "
                        + "weights, not " + dtype);
        }
    }

    /**
     * Python's {@code get_head_mask}: (heads) or (layers, heads) of 1 (keep) / 0 (drop) becomes (layers, 1, heads, 1, 1)
     * so that layer i multiplies its attention probabilities by {@code mask.get(i)}.
     */
    static NDArray headMask(NDArray headMask, int numLayers, DataType dtype) {
        if (headMask == null) {
            return null;
        }
        Shape s = headMask.getShape();
        NDArray m = headMask.toType(dtype, false);
        if (s.dimension() == 1) {
            return m.reshape(1, 1, s.get(0), 1, 1).broadcast(numLayers, 1, s.get(0), 1, 1);
        } else if (s.dimension() == 2) {
            if (s.get(0) != numLayers) {
                throw new IllegalArgumentException("head_mask has " + s.get(0) + " rows but the model has " + numLayers
                        + " layers");
            }
            return m.reshape(s.get(0), 1, s.get(1), 1, 1);
        }
        throw new IllegalArgumentException("head_mask must be (num_heads) or (num_hidden_layers, num_heads), got "
                + Arrays.toString(s.getShape()));
    }
}
