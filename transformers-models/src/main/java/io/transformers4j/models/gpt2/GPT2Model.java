package io.transformers4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.nn.EagerAttention;
import io.transformers4j.nn.Embedding;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.DType;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The bare GPT-2 decoder: token + position embeddings, {@code n_layer} {@link GPT2Block}s, a final LayerNorm; outputs
 * raw hidden states. Port of {@code GPT2Model} (models/gpt2/modeling_gpt2.py).
 *
 * <pre>{@code
 * try (GPT2Model model = GPT2Model.fromPretrained("openai-community/gpt2")) {
 *     BaseModelOutputWithPastAndCrossAttentions out = model.forward(inputIds, attentionMask);
 * }
 * }</pre>
 *
 * The cache ({@code past_key_values}) is Python's legacy format: per layer {key, value}, each
 * (batch, heads, seq, head_dim); pass {@link BaseModelOutputWithPastAndCrossAttentions#pastKeyValues()} back with
 * only the new tokens and an attention_mask covering past + new tokens.
 */
public class GPT2Model extends PreTrainedModel {

    public static final ModelClass<GPT2Config, GPT2Model> CLASS =
            new ModelClass<>("GPT2Model", GPT2Config.class, "transformer", false, GPT2Model::new);

    /** The arguments of Python's GPT2Model.forward (return_dict aside: outputs are always records). */
    static final Set<String> INPUTS = Set.of("input_ids", "past_key_values", "attention_mask", "token_type_ids",
            "position_ids", "head_mask", "inputs_embeds", "encoder_hidden_states", "encoder_attention_mask",
            "use_cache", "output_attentions", "output_hidden_states");

    private final GPT2Config config;
    private final Embedding wte;       // (vocab, hidden)
    private final Embedding wpe;       // (n_positions, hidden)
    private final List<GPT2Block> h;
    private final LayerNorm lnF;

    public GPT2Model(GPT2Config config, Weights w) {
        super(config, w);
        this.config = config;
        int embedDim = config.hiddenSize();
        this.wte = new Embedding(w.prefix("wte"), config.vocabSize(), embedDim);
        this.wpe = new Embedding(w.prefix("wpe"), config.maxPositionEmbeddings(), embedDim);
        List<GPT2Block> blocks = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            blocks.add(new GPT2Block(config, w.prefix("h", i), i));
        }
        this.h = List.copyOf(blocks);
        this.lnF = new LayerNorm(w.prefix("ln_f"), embedDim, config.layerNormEpsilon());
        // Checkpoints written before `bias` / `masked_bias` became non-persistent buffers still hold them; Python
        // drops buffer names from the unexpected keys, and we recompute the causal mask.
        w.ignoreUnexpected("(^|\\.)h\\.\\d+\\.(attn|crossattention)\\.(bias|masked_bias)$");
    }

    public static GPT2Model fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static GPT2Model fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public GPT2Config config() {
        return config;
    }

    /** The token embeddings ({@code get_input_embeddings()}); the LM head's weight is tied to it. */
    public Embedding wte() {
        return wte;
    }

    @Override
    public BaseModelOutputWithPastAndCrossAttentions forward(ModelInputs inputs) {
        inputs.requireOnly("GPT2Model", INPUTS);
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPastAndCrossAttentions out = run(inputs);
            keep(out);
            return out;
        }
    }

    public BaseModelOutputWithPastAndCrossAttentions forward(NDArray inputIds) {
        return forward(ModelInputs.builder().inputIds(inputIds).build());
    }

    public BaseModelOutputWithPastAndCrossAttentions forward(NDArray inputIds, NDArray attentionMask) {
        return forward(ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).build());
    }

    /**
     * The forward pass without a scope of its own: the heads call it inside theirs, so what they do not return is
     * freed with their temporaries.
     */
    BaseModelOutputWithPastAndCrossAttentions run(ModelInputs inputs) {
        boolean outputAttentions = inputs.flag("output_attentions", config.outputAttentions());
        boolean outputHiddenStates = inputs.flag("output_hidden_states", config.outputHiddenStates());
        boolean useCache = inputs.flag("use_cache", config.useCache());

        NDArray inputIds = inputs.inputIds();
        NDArray inputsEmbeds = inputs.inputsEmbeds();
        long[] inputShape;
        if (inputIds != null && inputsEmbeds != null) {
            throw new IllegalArgumentException("You cannot specify both input_ids and inputs_embeds at the same time");
        } else if (inputIds != null) {
            inputShape = inputIds.getShape().getShape();
            inputIds = inputIds.reshape(-1, inputShape[inputShape.length - 1]); // (B, T)
        } else if (inputsEmbeds != null) {
            long[] s = inputsEmbeds.getShape().getShape();
            inputShape = Arrays.copyOf(s, s.length - 1);
        } else {
            throw new IllegalArgumentException("You have to specify either input_ids or inputs_embeds");
        }
        long seqLength = inputShape[inputShape.length - 1];
        NDManager m = (inputIds != null ? inputIds : inputsEmbeds).getManager();

        NDArray tokenTypeIds = inputs.tokenTypeIds();
        if (tokenTypeIds != null) {
            tokenTypeIds = tokenTypeIds.reshape(-1, seqLength);
        }

        List<NDArray[]> past = inputs.pastKeyValues();
        long pastLength = 0;
        if (past != null) {
            if (past.size() != h.size()) {
                throw new IllegalArgumentException("past_key_values holds " + past.size() + " layers but the model has "
                        + h.size() + " (config n_layer)");
            }
            pastLength = past.get(0)[0].getShape().get(2); // (B, nh, P, hs)
        }
        NDArray positionIds = inputs.positionIds();
        if (positionIds == null) {
            if (pastLength + seqLength > config.maxPositionEmbeddings()) {
                throw new IllegalArgumentException("Sequence of " + (pastLength + seqLength) + " positions (past "
                        + pastLength + " + new " + seqLength + ") is longer than the model's n_positions = "
                        + config.maxPositionEmbeddings());
            }
            // Every row counts positions from past_length: left padding shifts real tokens' positions (pass
            // position_ids = cumsum(attention_mask) - 1 to avoid that, as generate() does).
            positionIds = m.arange(Math.toIntExact(pastLength), Math.toIntExact(pastLength + seqLength), 1,
                    DataType.INT64).reshape(1, seqLength); // (1, T)
        }

        if (inputsEmbeds == null) {
            inputsEmbeds = wte.forward(inputIds); // (B, T, E)
        }
        NDArray hidden = inputsEmbeds.add(wpe.forward(positionIds));
        if (tokenTypeIds != null) {
            // GPT-2 has no segment embedding table: Python embeds token_type_ids with the token embeddings.
            hidden = hidden.add(wte.forward(tokenTypeIds));
        }
        DataType dtype = hidden.getDataType();
        long batchSize = hidden.getShape().get(0);

        NDArray attentionMask = inputs.attentionMask();
        if (attentionMask != null) {
            // (B, S) of 1 keep / 0 pad -> (B, 1, 1, S) of 0 / finfo.min, added to the scores of every head and query.
            attentionMask = attentionMask.reshape(batchSize, 1, 1, -1).toType(dtype, false);
            attentionMask = attentionMask.neg().add(1f).mul(finfoMin(m, dtype));
        }

        NDArray encoderHidden = inputs.encoderHiddenStates();
        NDArray encoderAttentionMask = null;
        if (config.addCrossAttention() && encoderHidden != null) {
            // invert_attention_mask: (B, S_enc) or (B, T, S_enc) -> additive; absent means attend everywhere.
            NDArray em = inputs.encoderAttentionMask();
            if (em != null) {
                long b = em.getShape().get(0);
                em = em.getShape().dimension() == 3 ? em.reshape(b, 1, em.getShape().get(1), em.getShape().get(2))
                        : em.reshape(b, 1, 1, -1);
                encoderAttentionMask = em.toType(dtype, false).neg().add(1f).mul(finfoMin(m, dtype));
            }
        }

        NDArray headMask = inputs.headMask();
        List<NDArray[]> presents = useCache ? new ArrayList<>() : null;
        List<NDArray> allSelfAttentions = outputAttentions ? new ArrayList<>() : null;
        List<NDArray> allCrossAttentions = outputAttentions && config.addCrossAttention() ? new ArrayList<>() : null;
        List<NDArray> allHiddenStates = outputHiddenStates ? new ArrayList<>() : null;
        for (int i = 0; i < h.size(); i++) {
            if (outputHiddenStates) {
                allHiddenStates.add(hidden);
            }
            GPT2Block.Result r = h.get(i).forward(hidden, past == null ? null : past.get(i), attentionMask,
                    layerHeadMask(headMask, i, dtype), encoderHidden, encoderAttentionMask, useCache, outputAttentions);
            hidden = r.hidden();
            if (useCache) {
                presents.add(r.present());
            }
            if (outputAttentions) {
                allSelfAttentions.add(r.attentions());
                if (allCrossAttentions != null) {
                    allCrossAttentions.add(r.crossAttentions());
                }
            }
        }
        hidden = lnF.forward(hidden);
        // Python views the last hidden state back to input_ids' leading shape (multiple-choice inputs are 3-D).
        long[] outputShape = Arrays.copyOf(inputShape, inputShape.length + 1);
        outputShape[inputShape.length] = hidden.getShape().get(hidden.getShape().dimension() - 1);
        hidden = hidden.reshape(new Shape(outputShape));
        if (outputHiddenStates) {
            allHiddenStates.add(hidden);
        }
        return new BaseModelOutputWithPastAndCrossAttentions(hidden, presents, allHiddenStates, allSelfAttentions,
                allCrossAttentions);
    }

    /**
     * Layer {@code i}'s slice of head_mask, as Python's get_head_mask shapes it: (nh) or (n_layer, nh) -> (1, nh, 1, 1),
     * multiplied into the attention weights (1 keeps a head, 0 silences it).
     */
    private NDArray layerHeadMask(NDArray headMask, int i, DataType dtype) {
        if (headMask == null) {
            return null;
        }
        int dims = headMask.getShape().dimension();
        NDArray layer;
        if (dims == 1) {
            layer = headMask;
        } else if (dims == 2) {
            layer = headMask.get(i);
        } else {
            throw new IllegalArgumentException("head_mask must be (num_heads) or (num_layers, num_heads), got shape "
                    + headMask.getShape());
        }
        return layer.reshape(1, -1, 1, 1).toType(dtype, false);
    }

    /**
     * {@link EagerAttention#finfoMin} as a scalar of {@code dtype} (the causal fill goes through {@code where}, which
     * takes a tensor): the value Python's masks use instead of -inf.
     */
    static NDArray finfoMin(NDManager m, DataType dtype) {
        if (dtype != DataType.FLOAT64 && dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            // Checked here, not left to the shared helper: a bfloat16 scalar made through DJL's API kills the JVM.
            throw new IllegalArgumentException("GPT-2 runs in float16, float32 or float64, not " + dtype);
        }
        Number min = EagerAttention.finfoMin(DType.fromDjl(dtype));
        NDArray scalar = dtype == DataType.FLOAT64 ? m.create(min.doubleValue()) : m.create(min.floatValue());
        return scalar.toType(dtype, false); // -65504 is exact in float16
    }

    /** Takes every tensor of {@code out} out of the current NDScope, so it outlives the forward that made it. */
    static void keep(ModelOutput out) {
        for (NDArray a : out.toMap().values()) {
            NDScope.unregister(a);
        }
    }
}
