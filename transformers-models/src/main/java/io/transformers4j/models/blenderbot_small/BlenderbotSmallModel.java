package io.transformers4j.models.blenderbot_small;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.modeling.outputs.Seq2SeqModelOutput;
import io.transformers4j.nn.Embedding;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * The bare BlenderbotSmall encoder-decoder, outputting the decoder's raw hidden states. Port of
 * {@code BlenderbotSmallModel} (models/blenderbot_small/modeling_blenderbot_small.py). Checkpoint keys:
 * {@code shared.weight} (the token embeddings of both halves), {@code encoder.*}, {@code decoder.*}.
 */
public class BlenderbotSmallModel extends BlenderbotSmallPreTrainedModel {

    public static final ModelClass<BlenderbotSmallConfig, BlenderbotSmallModel> CLASS = new ModelClass<>(
            "BlenderbotSmallModel", BlenderbotSmallConfig.class, BASE_MODEL_PREFIX, false, BlenderbotSmallModel::new);

    /** The arguments of Python's forward (return_dict aside). */
    static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "decoder_input_ids",
            "decoder_attention_mask", "head_mask", "decoder_head_mask", "cross_attn_head_mask", "encoder_outputs",
            "past_key_values", "inputs_embeds", "decoder_inputs_embeds", "use_cache", "output_attentions",
            "output_hidden_states");

    private final Embedding shared; // (vocab, d_model)
    final BlenderbotSmallEncoder encoder;
    final BlenderbotSmallDecoder decoder;

    public BlenderbotSmallModel(BlenderbotSmallConfig config, Weights w) {
        super(config, w);
        this.shared = new Embedding(w.prefix("shared"), config.vocabSize(), config.dModel());
        this.encoder = new BlenderbotSmallEncoder(config, w.prefix("encoder"), shared);
        this.decoder = new BlenderbotSmallDecoder(config, w.prefix("decoder"), shared);
    }

    public static BlenderbotSmallModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static BlenderbotSmallModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    /** The token embeddings shared by encoder and decoder ({@code get_input_embeddings()}). */
    public Embedding shared() {
        return shared;
    }

    @Override
    public Seq2SeqModelOutput forward(ModelInputs inputs) {
        begin(inputs, INPUTS);
        try (NDScope scope = new NDScope()) {
            return keep(run(inputs, inputs.decoderInputIds(), inputs.flag("use_cache", config().useCache())));
        }
    }

    /** Encoder inputs only. */
    BaseModelOutput runEncoder(NDArray inputIds, NDArray attentionMask, NDArray inputsEmbeds, NDArray headMask,
            boolean outputAttentions, boolean outputHiddenStates) {
        return encoder.forward(inputIds, attentionMask, headMask, inputsEmbeds, outputAttentions, outputHiddenStates);
    }

    /** The forward pass without a scope of its own (the LM head calls it inside its own). */
    Seq2SeqModelOutput run(ModelInputs inputs, NDArray decoderInputIds, boolean useCache) {
        boolean outputAttentions = inputs.flag("output_attentions", config().outputAttentions());
        boolean outputHiddenStates = inputs.flag("output_hidden_states", config().outputHiddenStates());
        Object given = inputs.get("encoder_outputs");
        BaseModelOutput encoderOutputs = given != null ? encoderOutputsOf(given)
                : runEncoder(inputs.inputIds(), inputs.attentionMask(), inputs.inputsEmbeds(), inputs.headMask(),
                        outputAttentions, outputHiddenStates);
        @SuppressWarnings("unchecked")
        List<NDArray[]> past = (List<NDArray[]>) inputs.get("past_key_values");
        BaseModelOutputWithPastAndCrossAttentions d = decoder.forward(decoderInputIds, inputs.decoderAttentionMask(),
                encoderOutputs.lastHiddenState(), inputs.attentionMask(), inputs.tensor("decoder_head_mask"),
                inputs.tensor("cross_attn_head_mask"), past, inputs.tensor("decoder_inputs_embeds"), useCache,
                outputAttentions, outputHiddenStates);
        return new Seq2SeqModelOutput(d.lastHiddenState(), d.pastKeyValues(), d.hiddenStates(), d.attentions(),
                d.crossAttentions(), encoderOutputs.lastHiddenState(), encoderOutputs.hiddenStates(),
                encoderOutputs.attentions());
    }
}
