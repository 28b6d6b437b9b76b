package io.transformers4j.models.persimmon;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPast;
import io.transformers4j.models.LayerScope;
import io.transformers4j.models.LegacyCache;
import io.transformers4j.nn.EagerAttention;
import io.transformers4j.nn.Embedding;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.torch.Torch;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The bare Persimmon decoder: token embeddings, {@code num_hidden_layers} {@link PersimmonDecoderLayer}s and a final
 * LayerNorm. Port of {@code PersimmonModel} (models/persimmon/modeling_persimmon.py, transformers 4.39).
 *
 * <p>{@code past_key_values} is the legacy format: per layer {key, value}, each (batch, heads, seq, head_dim), keys
 * already rotated, or a Cache object (DynamicCache, SinkCache, StaticCache) updated in place. Feed a forward's {@link BaseModelOutputWithPast#pastKeyValues()} back with only the new tokens, an
 * attention_mask covering past + new tokens and, for left-padded rows, position_ids continuing
 * {@code cumsum(attention_mask) - 1}.
 */
public class PersimmonModel extends PreTrainedModel {

    public static final ModelClass<PersimmonConfig, PersimmonModel> CLASS =
            new ModelClass<>("PersimmonModel", PersimmonConfig.class, "model", false, PersimmonModel::new);

    /** The arguments of Python's PersimmonModel.forward (return_dict aside: outputs are always records). */
    static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "position_ids", "past_key_values",
            "inputs_embeds", "use_cache", "output_attentions", "output_hidden_states", "cache_position");

    private final PersimmonConfig config;
    private final Embedding embedTokens; // (vocab, hidden)
    private final List<PersimmonDecoderLayer> layers;
    private final LayerNorm finalLayernorm;

    public PersimmonModel(PersimmonConfig config, Weights w) {
        super(config, w);
        this.config = config;
        this.embedTokens = new Embedding(w.prefix("embed_tokens"), config.vocabSize(), config.hiddenSize());
        List<PersimmonDecoderLayer> l = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            l.add(new PersimmonDecoderLayer(config, w.prefix("layers", i), i));
        }
        this.layers = List.copyOf(l);
        this.finalLayernorm = new LayerNorm(w.prefix("final_layernorm"), config.hiddenSize(), config.layerNormEps());
    }

    public static PersimmonModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static PersimmonModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public PersimmonConfig config() {
        return config;
    }

    /** The token embeddings ({@code get_input_embeddings()}); a tied LM head shares their weight. */
    public Embedding embedTokens() {
        return embedTokens;
    }

    @Override
    public BaseModelOutputWithPast forward(ModelInputs inputs) {
        inputs.requireOnly("PersimmonModel", INPUTS);
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPast out = run(inputs);
            keep(out);
            return out;
        }
    }

    public BaseModelOutputWithPast forward(NDArray inputIds, NDArray attentionMask) {
        return forward(ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).build());
    }

    /** The forward pass without a scope of its own: the heads call it inside theirs. */
    BaseModelOutputWithPast run(ModelInputs inputs) {
        boolean outputAttentions = inputs.flag("output_attentions", config.outputAttentions());
        boolean outputHiddenStates = inputs.flag("output_hidden_states", config.outputHiddenStates());
        boolean useCache = inputs.flag("use_cache", config.useCache());

        NDArray inputIds = inputs.inputIds();
        NDArray inputsEmbeds = inputs.inputsEmbeds();
        if (inputIds != null && inputsEmbeds != null) {
            throw new IllegalArgumentException("You cannot specify both decoder_input_ids and decoder_inputs_embeds at "
                    + "the same time");
        } else if (inputIds == null && inputsEmbeds == null) {
            throw new IllegalArgumentException("You have to specify either decoder_input_ids or decoder_inputs_embeds");
        }
        if (inputsEmbeds == null) {
            inputsEmbeds = embedTokens.forward(inputIds); // (B, T, hidden)
        }
        NDManager m = inputsEmbeds.getManager();
        long seqLength = inputsEmbeds.getShape().get(1);

        // Python wraps the legacy tuple in a DynamicCache (a Cache object, e.g. a SinkCache, is used as it is);
        // past_key_values_length = its usable length. A StaticCache (not in 4.39's Persimmon; taken here as Llama
        // takes it) is written in place at cache_position and its keys span max_cache_len.
        Object past = inputs.get("past_key_values");
        LegacyCache cache = useCache || past != null
                ? LegacyCache.forPast(past, layers.size(), "PersimmonModel") : null;
        boolean staticCache = cache != null && cache.cacheObject() instanceof StaticCache;
        NDArray cachePositions = inputs.tensor("cache_position");
        if (staticCache && cachePositions == null) {
            throw new IllegalArgumentException("cache_position is a required argument when using StaticCache.");
        }
        long pastLength = cache == null || staticCache ? 0
                : cache.getUsableLength(Math.toIntExact(seqLength), 0);
        long keyLength = staticCache ? cache.cacheObject().getMaxLength() : pastLength + seqLength;
        // Python's kv_seq_len; with a static cache, the positions written so far
        long kvSeqLen = staticCache ? maxPosition(cachePositions) + 1 : pastLength + seqLength;
        checkLength(kvSeqLen);

        NDArray attentionMask2d = inputs.attentionMask();
        if (!staticCache && attentionMask2d != null && attentionMask2d.getShape().dimension() == 2
                && attentionMask2d.getShape().get(1) != pastLength + seqLength) {
            // Python's check in the attention, made once here.
            throw new IllegalArgumentException("Attention mask should be of size (" + attentionMask2d.getShape().get(0)
                    + ", 1, " + seqLength + ", " + (pastLength + seqLength) + "), but is (batch, 1, " + seqLength + ", "
                    + attentionMask2d.getShape().get(1) + "): the attention_mask needs one column per cached ("
                    + pastLength + ") and new (" + seqLength + ") token");
        }
        if (cachePositions == null) {
            cachePositions = m.arange(pastLength, pastLength + seqLength, 1, DataType.INT64); // (T)
        }
        if (cache != null) {
            cache.cachePosition(cachePositions);
        }
        NDArray positionIds = inputs.positionIds();
        positionIds = positionIds == null ? cachePositions.expandDims(0) : positionIds.reshape(-1, seqLength);

        // _prepare_4d_causal_attention_mask (a missing attention_mask is all ones); a static cache's unwritten
        // slots (after cache_position) are masked by the causal rule.
        NDArray attentionMask = EagerAttention.causalMask(m, cachePositions, keyLength, null,
                attentionMask2d, TorchOps.dtypeOf(inputsEmbeds));

        NDArray hiddenStates = inputsEmbeds;
        List<NDArray> allHiddenStates = outputHiddenStates ? new ArrayList<>() : null;
        List<NDArray> allSelfAttns = outputAttentions ? new ArrayList<>() : null;
        for (int i = 0; i < layers.size(); i++) {
            if (outputHiddenStates) {
                allHiddenStates.add(hiddenStates);
            }
            PersimmonAttention.Result r;
            try (LayerScope scope = new LayerScope()) { // the layer's temporaries go when it returns, as in Python
                r = layers.get(i).forward(hiddenStates, attentionMask, positionIds, kvSeqLen, cache,
                        outputAttentions);
                scope.keep(r.output(), r.weights());
                scope.keepCache(cache, i);
            }
            LayerScope.freeConsumed(hiddenStates, r.output(), inputs.inputsEmbeds(), outputHiddenStates);
            hiddenStates = r.output();
            if (outputAttentions) {
                allSelfAttns.add(r.weights());
            }
        }
        NDArray normed = finalLayernorm.forward(hiddenStates);
        LayerScope.freeConsumed(hiddenStates, normed, inputs.inputsEmbeds(), outputHiddenStates);
        hiddenStates = normed;
        if (outputHiddenStates) {
            allHiddenStates.add(hiddenStates);
        }
        // a Cache object passed in holds the state itself; the record holds only the legacy form
        List<NDArray[]> nextCache = useCache && cache.cacheObject() == null ? cache.toLegacyCache() : null;
        return new BaseModelOutputWithPast(hiddenStates, nextCache, allHiddenStates, allSelfAttns);
    }

    /**
     * Python 4.39 lets RoPE run past max_position_embeddings without a word (the model then sees positions it was
     * never trained on). We stop instead and say how to proceed; dynamic NTK scaling is made for long inputs and
     * linear scaling stretches the trained range by its factor.
     */
    private void checkLength(long length) {
        if ("dynamic".equals(config.ropeScalingType())) {
            return;
        }
        double limit = config.maxPositionEmbeddings() * config.ropeScalingFactor();
        if (length > limit) {
            throw new IllegalArgumentException("Input of " + length + " positions (cached + new tokens) is longer than "
                    + "this model's max_position_embeddings (" + config.maxPositionEmbeddings()
                    + (config.ropeScaling() == null ? "" : " x rope_scaling factor " + config.ropeScalingFactor())
                    + "). Truncate the input, use rope_scaling {\"type\": \"dynamic\", ...}, or, to extrapolate as "
                    + "Python does, load with LoadOptions.withConfig(\"max_position_embeddings\", " + length + ").");
        }
    }

    private static long maxPosition(NDArray cachePosition) {
        return Arrays.stream(cachePosition.toType(DataType.INT64, false).toLongArray()).max().orElse(-1);
    }

    /** Takes every tensor of {@code out} out of the current NDScope, so it outlives the forward that made it. */
    static void keep(ModelOutput out) {
        for (NDArray a : out.toMap().values()) {
            NDScope.unregister(a);
        }
    }
}
