package io.transformers4j.models.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPast;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.models.LayerScope;
import io.transformers4j.models.LegacyCache;
import io.transformers4j.nn.EagerAttention;
import io.transformers4j.nn.Embedding;
import io.transformers4j.torch.Torch;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The bare Llama decoder: token embeddings, {@code num_hidden_layers} {@link LlamaDecoderLayer}s and a final RMSNorm.
 * Port of {@code LlamaModel} (models/llama/modeling_llama.py, transformers 4.39).
 *
 * <pre>{@code
 * try (LlamaModel model = LlamaModel.fromPretrained("path/to/llama")) {
 *     BaseModelOutputWithPast out = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask).build());
 * }
 * }</pre>
 *
 * <p>{@code past_key_values} is the legacy format: per layer {key, value}, each (batch, kv_heads, seq, head_dim), keys
 * already rotated. Feed a forward's {@link BaseModelOutputWithPast#pastKeyValues()} back with only the new tokens, an
 * attention_mask covering past + new tokens and, for left-padded rows, position_ids continuing
 * {@code cumsum(attention_mask) - 1}.
 */
public class LlamaModel extends PreTrainedModel {

    public static final ModelClass<LlamaConfig, LlamaModel> CLASS =
            new ModelClass<>("LlamaModel", LlamaConfig.class, "model", false, LlamaModel::new);

    /** The arguments of Python's LlamaModel.forward (return_dict aside: outputs are always records). */
    static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "position_ids", "past_key_values",
            "inputs_embeds", "use_cache", "output_attentions", "output_hidden_states", "cache_position");

    private final LlamaConfig config;
    private final Embedding embedTokens; // (vocab, hidden)
    private final List<LlamaDecoderLayer> layers;
    private final LlamaRMSNorm norm;
    /**
     * Python gives every attention layer its own {@code rotary_emb}; all of them produce the same tables for a
     * forward's positions, so the model computes them once and hands them to each layer.
     */
    private final LlamaRotaryEmbedding rotaryEmb;

    public LlamaModel(LlamaConfig config, Weights w) {
        super(config, w);
        this.config = config;
        this.embedTokens = new Embedding(w.prefix("embed_tokens"), config.vocabSize(), config.hiddenSize());
        List<LlamaDecoderLayer> l = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            l.add(new LlamaDecoderLayer(config, w.prefix("layers", i), i));
        }
        this.layers = List.copyOf(l);
        this.norm = new LlamaRMSNorm(w.prefix("norm"), config.hiddenSize(), config.rmsNormEps());
        this.rotaryEmb = new LlamaRotaryEmbedding(config.headDim(), config.maxPositionEmbeddings(),
                config.ropeTheta(), config.ropeScalingType(), config.ropeScalingFactor());
        // Checkpoints of older versions stored the rotary inv_freq buffer; it is recomputed from the config.
        w.ignoreUnexpected("(^|\\.)layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq$");
    }

    public static LlamaModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static LlamaModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    /** The token embeddings ({@code get_input_embeddings()}); a tied LM head shares their weight. */
    public Embedding embedTokens() {
        return embedTokens;
    }

    @Override
    public BaseModelOutputWithPast forward(ModelInputs inputs) {
        inputs.requireOnly("LlamaModel", INPUTS);
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
        if ((inputIds == null) == (inputsEmbeds == null)) {
            throw new IllegalArgumentException("You cannot specify both input_ids and inputs_embeds at the same time, "
                    + "and must specify either one");
        }
        if (inputsEmbeds == null) {
            inputsEmbeds = embedTokens.forward(inputIds); // (B, T, hidden)
        }
        NDManager m = inputsEmbeds.getManager();
        long seqLength = inputsEmbeds.getShape().get(1);

        // Python wraps the legacy tuple in a DynamicCache; past_seen_tokens = its length. A StaticCache (generate's
        // cache_implementation="static") is written in place at cache_position and its keys span max_cache_len.
        Object past = inputs.get("past_key_values");
        LegacyCache cache = useCache || past != null
                ? LegacyCache.forPast(past, layers.size(), "LlamaModel") : null;
        boolean staticCache = cache != null && cache.cacheObject() instanceof StaticCache;
        NDArray cachePosition = inputs.tensor("cache_position");
        if (staticCache && cachePosition == null) {
            throw new IllegalArgumentException("cache_position is a required argument when using StaticCache.");
        }
        // Python 4.39 takes get_seq_length(); for a bounded cache (SinkCache) the keys this step attends are its
        // usable length plus the new tokens, as Mistral counts them, so mask and keys agree once the window is full.
        long pastSeenTokens = cache == null || staticCache ? 0 : cache.getUsableLength(Math.toIntExact(seqLength), 0);
        long keyLength = staticCache ? cache.cacheObject().getMaxLength() : pastSeenTokens + seqLength;
        checkLength(keyLength);

        if (cachePosition == null) {
            cachePosition = m.arange(pastSeenTokens, pastSeenTokens + seqLength, 1, DataType.INT64); // (T)
        }
        if (cache != null) {
            cache.cachePosition(cachePosition);
        }
        NDArray positionIds = inputs.positionIds();
        if (positionIds == null) {
            positionIds = cachePosition.expandDims(0); // (1, T)
        }
        long maskLength = keyLength;
        if (staticCache && !outputAttentions) {
            // The static cache's slots after the last position written are masked for every query (they add exact
            // zeros to the softmax); without attention probabilities to return, the fused attention reads only the
            // written prefix, which this narrower mask tells it (SdpaAttention).
            maskLength = Arrays.stream(cachePosition.toType(DataType.INT64, false).toLongArray()).max().orElse(-1) + 1;
        }
        // _update_causal_mask: key j visible to new token i iff j <= cache_position[i] and attention_mask keeps j.
        NDArray causalMask = EagerAttention.causalMask(m, cachePosition, maskLength, null,
                inputs.attentionMask(), TorchOps.dtypeOf(inputsEmbeds));

        // The rotary tables of these positions, each (B or 1, 1, T, head_dim), once for all layers.
        NDArray[] rope = rotaryEmb.forward(inputsEmbeds, positionIds);
        NDArray[] cosSin = {rope[0].expandDims(1), rope[1].expandDims(1)};

        NDArray hiddenStates = inputsEmbeds;
        List<NDArray> allHiddenStates = outputHiddenStates ? new ArrayList<>() : null;
        List<NDArray> allSelfAttns = outputAttentions ? new ArrayList<>() : null;
        for (int i = 0; i < layers.size(); i++) {
            if (outputHiddenStates) {
                allHiddenStates.add(hiddenStates);
            }
            LlamaAttention.Result r;
            try (LayerScope scope = new LayerScope()) { // the layer's temporaries go when it returns, as in Python
                r = layers.get(i).forward(hiddenStates, causalMask, cosSin, cache, outputAttentions);
                scope.keep(r.output(), r.weights());
                scope.keepCache(cache, i);
            }
            LayerScope.freeConsumed(hiddenStates, r.output(), inputs.inputsEmbeds(), outputHiddenStates);
            hiddenStates = r.output();
            if (outputAttentions) {
                allSelfAttns.add(r.weights());
            }
        }
        NDArray normed = norm.forward(hiddenStates);
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

    /** Takes every tensor of {@code out} out of the current NDScope, so it outlives the forward that made it. */
    static void keep(ModelOutput out) {
        for (NDArray a : out.toMap().values()) {
            NDScope.unregister(a);
        }
    }
}
