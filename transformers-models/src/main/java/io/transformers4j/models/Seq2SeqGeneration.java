package io.transformers4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import io.transformers4j.generation.EncoderOutput;
import io.transformers4j.generation.GenerationStepOutput;
import io.transformers4j.generation.ModelKwargs;
import io.transformers4j.generation.PastKeyValues;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.Seq2SeqLMOutput;
import java.util.List;

/**
 * What the encoder-decoders with a language-modelling head (T5, LongT5, BlenderbotSmall) share under generate():
 * their {@code prepare_inputs_for_generation} (Python's copies of it: only the decoder tokens the cache lacks, the
 * encoder outputs, masks and head masks passed through) and the conversions between their records and generate()'s.
 */
public final class Seq2SeqGeneration {
    private Seq2SeqGeneration() {}

    /**
     * Python's {@code prepare_inputs_for_generation} of T5 ({@code withDecoderAttentionMask}) and BART-like models
     * (BlenderbotSmall leaves {@code decoder_attention_mask} out).
     */
    public static ModelInputs prepareInputsForGeneration(NDArray decoderInputIds, ModelKwargs kwargs,
            boolean withDecoderAttentionMask) {
        List<NDArray[]> past = PastKeyValues.legacy(kwargs.pastKeyValues(), "prepare_inputs_for_generation");
        if (past != null) {
            long pastLength = past.get(0)[0].getShape().get(2);
            long len = decoderInputIds.getShape().get(1);
            // some generation methods already pass only the last input id
            long removePrefixLength = len > pastLength ? pastLength : len - 1;
            decoderInputIds = decoderInputIds.get(new NDIndex(":, {}:", removePrefixLength));
        }
        EncoderOutput enc = kwargs.encoderOutputs();
        ModelInputs.Builder b = ModelInputs.builder().decoderInputIds(decoderInputIds).pastKeyValues(past)
                .set("encoder_outputs", enc == null ? null : new BaseModelOutput(enc.lastHiddenState(), null, null))
                .attentionMask(kwargs.attentionMask()).headMask(kwargs.extra().get("head_mask"))
                .set("decoder_head_mask", kwargs.extra().get("decoder_head_mask"))
                .set("cross_attn_head_mask", kwargs.extra().get("cross_attn_head_mask"))
                .useCache(kwargs.useCache());
        if (withDecoderAttentionMask) {
            b.decoderAttentionMask(kwargs.decoderAttentionMask());
        }
        return b.build();
    }

    public static EncoderOutput encoderOutput(BaseModelOutput b) {
        return new EncoderOutput(b.lastHiddenState(), b.hiddenStates(), b.attentions());
    }

    /** The decoder's side of a forward: logits, cache, decoder hidden states / attentions, cross-attentions. */
    public static GenerationStepOutput stepOutput(Seq2SeqLMOutput out) {
        return new GenerationStepOutput(out.logits(), out.pastKeyValues(), out.decoderHiddenStates(),
                out.decoderAttentions(), out.crossAttentions());
    }

    /** The encoder arguments of {@link io.transformers4j.generation.GenerationModel#encode}. */
    public record EncoderArgs(NDArray inputIds, NDArray attentionMask, NDArray inputsEmbeds, NDArray headMask,
            boolean outputAttentions, boolean outputHiddenStates) {
        public static EncoderArgs of(ModelInputs in) {
            return new EncoderArgs(in.inputIds(), in.attentionMask(), in.inputsEmbeds(), in.headMask(),
                    in.flag("output_attentions", false), in.flag("output_hidden_states", false));
        }
    }
}
