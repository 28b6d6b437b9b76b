package io.transformers4j.models.mistral;

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
import io.transformers4j.torch.Torch;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The bare Mistral decoder: token embeddings, {@code num_hidden_layers} {@link MistralDecoderLayer}s and a final
 * RMSNorm. Port of {@code MistralModel} (models/mistral/modeling_mistral.py, transformers 4.39, eager attention).
 *
 * <p>Sliding-window attention is the reference's eager mask: the new token at key index i (past length + its offset)
 * attends key j iff {@code 0 <= i - j <= sliding_window}, over the whole cache (which is never truncated).
 *
 * <p>{@code past_key_values} is the legacy format: per layer {key, value}, each (batch, kv_heads, seq, head_dim), keys
 * already rotated. Feed a forward's {@link BaseModelOutputWithPast#pastKeyValues()} back with only the new tokens, an
 * attention_mask covering past + new tokens and, for left-padded rows, position_ids continuing
 * {@code cumsum(attention_mask) - 1}.
 */
public class MistralModel extends PreTrainedModel {

    public static final ModelClass<MistralConfig, MistralModel> CLASS =
            new ModelClass<>("MistralModel", MistralConfig.class, "model", false, MistralModel::new);

    /** The arguments of Python's MistralModel.forward (return_dict aside: outputs are always records). */
    static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "position_ids", "past_key_values",
            "inputs_embeds", "use_cache", "output_attentions", "output_hidden_states", "cache_position");

    private final MistralConfig config;
    private final Embedding embedTokens; // (vocab, hidden)
    private final List<MistralDecoderLayer> layers;
    private final MistralRMSNorm norm;
    /**
     * Python gives every attention layer its own {@code rotary_emb}; all of them produce the same tables for a
     * forward's positions, so the model computes them once and hands them to each layer.
     */
    private final MistralRotaryEmbedding rotaryEmb;

    public MistralModel(MistralConfig config, Weights w) {
        super(config, w);
        this.config = config;
        this.embedTokens = new Embedding(w.prefix("embed_tokens"), config.vocabSize(), config.hiddenSize());
        List<MistralDecoderLayer> l = new ArrayList<>();
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            l.add(new MistralDecoderLayer(config, w.prefix("layers", i), i));
        }
        this.layers = List.copyOf(l);
        this.norm = new MistralRMSNorm(w.prefix("norm"), config.hiddenSize(), config.rmsNormEps());
        this.rotaryEmb = new MistralRotaryEmbedding(config.headDim(), config.ropeTheta());
        // Checkpoints of older versions stored the rotary inv_freq buffer; it is recomputed from the config.
        w.ignoreUnexpected("(^|\\.)layers\\.\\d+\\.self_attn\\.rotary_emb\\.inv_freq$");
    }

    public static MistralModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static MistralModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public MistralConfig config() {
        return config;
    }

    /** The token embeddings ({@code get_input_embeddings()}); a tied LM head shares their weight. */
    public Embedding embedTokens() {
        return embedTokens;
    }

    @Override
    public BaseModelOutputWithPast forward(ModelInputs inputs) {
        inputs.requireOnly("MistralModel", INPUTS);
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
        // past_key_values_length = its usable length. A StaticCache (not in 4.39's Mistral; taken here as Llama takes
        // it) is written in place at cache_position and its keys span max_cache_len.
        Object past = inputs.get("past_key_values");
        LegacyCache cache = useCache || past != null
                ? LegacyCache.forPast(past, layers.size(), "MistralModel") : null;
        boolean staticCache = cache != null && cache.cacheObject() instanceof StaticCache;
        NDArray cachePositions = inputs.tensor("cache_position");
        if (staticCache && cachePositions == null) {
            throw new IllegalArgumentException("cache_position is a required argument when using StaticCache.");
        }
        long pastLength = cache == null || staticCache ? 0
                : cache.getUsableLength(Math.toIntExact(seqLength), 0);
        long keyLength = staticCache ? cache.cacheObject().getMaxLength() : pastLength + seqLength;
        checkLength(staticCache ? maxPosition(cachePositions) + 1 : keyLength);

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

        long maskLength = keyLength;
        if (staticCache && !outputAttentions) {
            // As Llama: the slots after the last position written are masked for every query; the fused attention
            // reads only the written prefix, which this narrower mask tells it (SdpaAttention).
            maskLength = maxPosition(cachePositions) + 1;
        }
        // _prepare_4d_causal_attention_mask with the sliding window (0 <= i - j <= sliding_window); with a static
        // cache a key's index is its position, so the window applies there unchanged.
        NDArray attentionMask = EagerAttention.causalMask(m, cachePositions, maskLength,
                config.slidingWindow(), attentionMask2d, TorchOps.dtypeOf(inputsEmbeds));

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
            MistralAttention.Result r;
            try (LayerScope scope = new LayerScope()) { // the layer's temporaries go when it returns, as in Python
                r = layers.get(i).forward(hiddenStates, attentionMask, cosSin, cache, outputAttentions);
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
        // A Cache object passed in holds the state itself (Python returns that object; the record holds the legacy
        // form only, so it is null here and the caller keeps using its Cache).
        List<NDArray[]> nextCache = useCache && cache.cacheObject() == null ? cache.toLegacyCache() : null;
        return new BaseModelOutputWithPast(hiddenStates, nextCache, allHiddenStates, allSelfAttns);
    }

    /**
     * With a sliding window a token never looks further back than the window, so any length is fine. Without one,
     * Python 4.39 lets RoPE run past max_position_embeddings without a word; we stop and say how to proceed.
     */
    private void checkLength(long length) {
        if (config.slidingWindow() == null && length > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("Input of " + length + " positions (cached + new tokens) is longer than "
                    + "this model's max_position_embeddings (" + config.maxPositionEmbeddings() + ") and the config "
                    + "has no sliding_window. Truncate the input, or, to extrapolate as Python does, load with "
                    + "LoadOptions.withConfig(\"max_position_embeddings\", " + length + ").");
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
