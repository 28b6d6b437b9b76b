package io.transformers4j.models.blenderbot_small;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.modeling.outputs.CausalLMOutputWithCrossAttentions;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.List;
import java.util.Set;

/**
 * BlenderbotSmall's decoder alone, as a causal language model (e.g. the decoder of an EncoderDecoderModel). Port of
 * {@code BlenderbotSmallForCausalLM} (a copy of BartForCausalLM). Checkpoint keys {@code model.decoder.*} (Python's
 * BlenderbotSmallDecoderWrapper) and {@code lm_head.weight}, tied to {@code model.decoder.embed_tokens.weight} by
 * default. Python's labels loss here is NOT shifted: logits at position i are scored against labels[i], as in
 * BART's causal LM (pass labels already shifted).
 */
public class BlenderbotSmallForCausalLM extends BlenderbotSmallPreTrainedModel {

    public static final ModelClass<BlenderbotSmallConfig, BlenderbotSmallForCausalLM> CLASS = new ModelClass<>(
            "BlenderbotSmallForCausalLM", BlenderbotSmallConfig.class, BASE_MODEL_PREFIX, true,
            BlenderbotSmallForCausalLM::new);

    static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "encoder_hidden_states",
            "encoder_attention_mask", "head_mask", "cross_attn_head_mask", "past_key_values", "inputs_embeds", "labels",
            "use_cache", "output_attentions", "output_hidden_states");

    private final BlenderbotSmallDecoder decoder; // model.decoder
    private final Linear lmHead;                  // (vocab, d_model), no bias

    public BlenderbotSmallForCausalLM(BlenderbotSmallConfig config, Weights w) {
        // Python deep-copies the config with is_decoder=True, is_encoder_decoder=False; nothing below reads them.
        super(config, w);
        this.decoder = new BlenderbotSmallDecoder(config, w.prefix("model").prefix("decoder"), null);
        this.lmHead = config.tieWordEmbeddings()
                ? new Linear(w.tie("lm_head.weight", decoder.embedTokens.weight), null)
                : new Linear(w.prefix("lm_head"), config.dModel(), config.vocabSize(), false);
    }

    public static BlenderbotSmallForCausalLM fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static BlenderbotSmallForCausalLM fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public CausalLMOutputWithCrossAttentions forward(ModelInputs inputs) {
        begin(inputs, INPUTS);
        try (NDScope scope = new NDScope()) {
            @SuppressWarnings("unchecked")
            List<NDArray[]> past = (List<NDArray[]>) inputs.get("past_key_values");
            BaseModelOutputWithPastAndCrossAttentions out = decoder.forward(inputs.inputIds(), inputs.attentionMask(),
                    inputs.encoderHiddenStates(), inputs.encoderAttentionMask(), inputs.headMask(),
                    inputs.tensor("cross_attn_head_mask"), past, inputs.inputsEmbeds(),
                    inputs.flag("use_cache", config().useCache()),
                    inputs.flag("output_attentions", config().outputAttentions()),
                    inputs.flag("output_hidden_states", config().outputHiddenStates()));
            NDArray logits = lmHead.forward(out.lastHiddenState()); // (B, T, vocab)
            NDArray labels = inputs.labels();
            NDArray loss = labels == null ? null : Losses.crossEntropy(logits, labels);
            return keep(new CausalLMOutputWithCrossAttentions(loss, logits, out.pastKeyValues(), out.hiddenStates(),
                    out.attentions(), out.crossAttentions()));
        }
    }
}
