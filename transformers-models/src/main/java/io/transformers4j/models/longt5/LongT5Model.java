package io.transformers4j.models.longt5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.modeling.outputs.Seq2SeqModelOutput;
import io.transformers4j.models.t5.T5Stack;
import io.transformers4j.nn.Embedding;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * The bare LongT5 encoder-decoder (Guo et al. 2021: T5 whose encoder attends locally, optionally with transient global
 * tokens, so long inputs cost time linear in their length), outputting the decoder's raw hidden states. Port of
 * {@code LongT5Model} (models/longt5/modeling_longt5.py). The decoder is T5's, attending fully to the encoder output.
 *
 * <p>Encoder attention weights come out block-shaped: (batch, num_blocks, heads, block_len, 3 * block_len), plus
 * num_global_tokens keys with transient-global attention.
 */
public class LongT5Model extends LongT5PreTrainedModel {

    public static final ModelClass<LongT5Config, LongT5Model> CLASS =
            new ModelClass<>("LongT5Model", LongT5Config.class, BASE_MODEL_PREFIX, false, LongT5Model::new);

    /** The arguments of Python's LongT5Model.forward (return_dict aside). */
    static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "decoder_input_ids",
            "decoder_attention_mask", "head_mask", "decoder_head_mask", "cross_attn_head_mask", "encoder_outputs",
            "past_key_values", "inputs_embeds", "decoder_inputs_embeds", "use_cache", "output_attentions",
            "output_hidden_states");

    private final Embedding shared; // (vocab, d_model)
    private final LongT5EncoderStack encoder;
    private final T5Stack decoder;

    public LongT5Model(LongT5Config config, Weights w) {
        super(config, w);
        this.shared = new Embedding(w.prefix("shared"), config.vocabSize(), config.dModel());
        this.encoder = new LongT5EncoderStack(config, w.prefix("encoder"), shared);
        this.decoder = new T5Stack(config, w.prefix("decoder"), shared, true, config.numDecoderLayers());
        w.ignoreUnexpected("^decoder\\.block\\.0\\.layer\\.1\\.EncDecAttention\\.relative_attention_bias\\.weight$");
    }

    public static LongT5Model fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static LongT5Model fromPretrained(String repoIdOrPath) throws IOException {
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
            return keep(run(inputs, inputs.decoderInputIds()));
        }
    }

    /** Encoder inputs only: the encoder's output, as LongT5EncoderModel would give it. */
    BaseModelOutput runEncoder(NDArray inputIds, NDArray attentionMask, NDArray inputsEmbeds, NDArray headMask,
            boolean outputAttentions, boolean outputHiddenStates) {
        return encoder.forward(inputIds, attentionMask, inputsEmbeds, headMask, outputAttentions, outputHiddenStates);
    }

    /** The forward pass without a scope of its own (the LM head calls it inside its own). */
    Seq2SeqModelOutput run(ModelInputs inputs, NDArray decoderInputIds) {
        boolean useCache = inputs.flag("use_cache", config().useCache());
        boolean outputAttentions = inputs.flag("output_attentions", config().outputAttentions());
        boolean outputHiddenStates = inputs.flag("output_hidden_states", config().outputHiddenStates());
        NDArray headMask = inputs.headMask();
        NDArray decoderHeadMask = inputs.tensor("decoder_head_mask");
        if (headMask != null && decoderHeadMask == null && config().numLayers() == config().numDecoderLayers()) {
            decoderHeadMask = headMask; // Python's deprecated behaviour (FutureWarning)
        }
        Object given = inputs.get("encoder_outputs");
        BaseModelOutput encoderOutputs = given != null ? encoderOutputsOf(given)
                : runEncoder(inputs.inputIds(), inputs.attentionMask(), inputs.inputsEmbeds(), headMask,
                        outputAttentions, outputHiddenStates);
        @SuppressWarnings("unchecked")
        List<NDArray[]> past = (List<NDArray[]>) inputs.get("past_key_values");
        BaseModelOutputWithPastAndCrossAttentions d = decoder.forward(new T5Stack.Args(decoderInputIds,
                inputs.decoderAttentionMask(), encoderOutputs.lastHiddenState(), inputs.attentionMask(),
                inputs.tensor("decoder_inputs_embeds"), decoderHeadMask, inputs.tensor("cross_attn_head_mask"), past,
                useCache, outputAttentions, outputHiddenStates));
        return new Seq2SeqModelOutput(d.lastHiddenState(), d.pastKeyValues(), d.hiddenStates(), d.attentions(),
                d.crossAttentions(), encoderOutputs.lastHiddenState(), encoderOutputs.hiddenStates(),
                encoderOutputs.attentions());
    }
}
