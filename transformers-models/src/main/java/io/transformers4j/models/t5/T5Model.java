package io.transformers4j.models.t5;

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
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * The bare T5 encoder-decoder, outputting the decoder's raw hidden states. Port of {@code T5Model}
 * (models/t5/modeling_t5.py).
 *
 * <pre>{@code
 * try (T5Model model = T5Model.fromPretrained("google-t5/t5-small")) {
 *     Seq2SeqModelOutput out = model.forward(ModelInputs.builder()
 *             .inputIds(ids).attentionMask(mask).decoderInputIds(model.shiftRight(targetIds)).build());
 * }
 * }</pre>
 *
 * Checkpoint keys: {@code shared.weight} (the token embeddings of both stacks), {@code encoder.*},
 * {@code decoder.*}.
 */
public class T5Model extends T5PreTrainedModel {

    public static final ModelClass<T5Config, T5Model> CLASS =
            new ModelClass<>("T5Model", T5Config.class, BASE_MODEL_PREFIX, false, T5Model::new);

    /** The arguments of Python's T5Model.forward (return_dict aside: outputs are always records). */
    static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "decoder_input_ids",
            "decoder_attention_mask", "head_mask", "decoder_head_mask", "cross_attn_head_mask", "encoder_outputs",
            "past_key_values", "inputs_embeds", "decoder_inputs_embeds", "use_cache", "output_attentions",
            "output_hidden_states");

    private final T5Config config;
    private final Embedding shared; // (vocab, d_model)
    private final T5Stack encoder;
    private final T5Stack decoder;

    public T5Model(T5Config config, Weights w) {
        super(config, w);
        this.config = config;
        this.shared = new Embedding(w.prefix("shared"), config.vocabSize(), config.dModel());
        this.encoder = new T5Stack(config, w.prefix("encoder"), shared, false, config.numLayers());
        this.decoder = new T5Stack(config, w.prefix("decoder"), shared, true, config.numDecoderLayers());
        // Some old checkpoints hold a relative bias for the first cross-attention, which has none.
        w.ignoreUnexpected("^decoder\\.block\\.0\\.layer\\.1\\.EncDecAttention\\.relative_attention_bias\\.weight$");
    }

    public static T5Model fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static T5Model fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public T5Config config() {
        return config;
    }

    /** The token embeddings shared by encoder and decoder ({@code get_input_embeddings()}). */
    public Embedding shared() {
        return shared;
    }

    @Override
    public Seq2SeqModelOutput forward(ModelInputs inputs) {
        inputs.requireOnly("T5Model", INPUTS);
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            return keep(run(inputs, inputs.decoderInputIds()));
        }
    }

    /** Encoder inputs only: the encoder's output, as T5EncoderModel would give it. */
    BaseModelOutput runEncoder(NDArray inputIds, NDArray attentionMask, NDArray inputsEmbeds, NDArray headMask,
            boolean outputAttentions, boolean outputHiddenStates) {
        BaseModelOutputWithPastAndCrossAttentions e = encoder.forward(new T5Stack.Args(inputIds, attentionMask, null,
                null, inputsEmbeds, headMask, null, null, false, outputAttentions, outputHiddenStates));
        return new BaseModelOutput(e.lastHiddenState(), e.hiddenStates(), e.attentions());
    }

    /**
     * The forward pass without a scope of its own (the heads call it inside theirs).
     *
     * @param decoderInputIds the decoder inputs (T5ForConditionalGeneration passes the shifted labels when none are
     *     given)
     */
    Seq2SeqModelOutput run(ModelInputs inputs, NDArray decoderInputIds) {
        boolean useCache = inputs.flag("use_cache", config.useCache());
        boolean outputAttentions = inputs.flag("output_attentions", config.outputAttentions());
        boolean outputHiddenStates = inputs.flag("output_hidden_states", config.outputHiddenStates());

        NDArray headMask = inputs.headMask();
        NDArray decoderHeadMask = inputs.tensor("decoder_head_mask");
        if (headMask != null && decoderHeadMask == null && config.numLayers() == config.numDecoderLayers()) {
            // Python's deprecated behaviour: head_mask also masks the decoder (with a FutureWarning).
            decoderHeadMask = headMask;
        }

        BaseModelOutput encoderOutputs;
        Object given = inputs.get("encoder_outputs");
        if (given == null) {
            encoderOutputs = runEncoder(inputs.inputIds(), inputs.attentionMask(), inputs.inputsEmbeds(), headMask,
                    outputAttentions, outputHiddenStates);
        } else if (given instanceof BaseModelOutput b) {
            encoderOutputs = b;
        } else {
            encoderOutputs = new BaseModelOutput(encoderHiddenOf(given), null, null);
        }
        NDArray hidden = encoderOutputs.lastHiddenState();

        @SuppressWarnings("unchecked")
        List<NDArray[]> past = (List<NDArray[]>) inputs.get("past_key_values");
        BaseModelOutputWithPastAndCrossAttentions d = decoder.forward(new T5Stack.Args(decoderInputIds,
                inputs.decoderAttentionMask(), hidden, inputs.attentionMask(), inputs.tensor("decoder_inputs_embeds"),
                decoderHeadMask, inputs.tensor("cross_attn_head_mask"), past, useCache, outputAttentions,
                outputHiddenStates));
        return new Seq2SeqModelOutput(d.lastHiddenState(), d.pastKeyValues(), d.hiddenStates(), d.attentions(),
                d.crossAttentions(), encoderOutputs.lastHiddenState(), encoderOutputs.hiddenStates(),
                encoderOutputs.attentions());
    }
}
