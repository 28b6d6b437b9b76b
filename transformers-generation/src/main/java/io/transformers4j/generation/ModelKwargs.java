package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The model arguments {@code generate()} carries from step to step: Python's {@code model_kwargs} dict, with a field
 * for each entry the generation loop itself reads or updates ({@code attention_mask}, {@code past_key_values},
 * {@code cache_position}, {@code encoder_outputs}, ...) and {@link #extra()} for the other tensors a caller passed
 * (e.g. {@code pixel_values}, {@code head_mask}), expanded with the batch for beams and handed to
 * {@link GenerationModel#prepareInputsForGeneration} unchanged.
 *
 * <p>Mutable, as Python's dict is: the strategies replace entries after each step. A model reads it and never changes
 * it.
 */
public final class ModelKwargs {
    private NDArray attentionMask;
    private NDArray decoderAttentionMask;
    private NDArray tokenTypeIds;
    private NDArray positionIds;
    private NDArray inputsEmbeds;
    private NDArray cachePosition;
    private Object pastKeyValues;
    private EncoderOutput encoderOutputs;
    private boolean useCache = true;
    private boolean outputAttentions;
    private boolean outputHiddenStates;
    private final Map<String, NDArray> extra = new LinkedHashMap<>();

    public ModelKwargs() {}

    /** A shallow copy (Python's {@code copy.copy(model_kwargs)}): the tensors are shared. */
    public ModelKwargs copy() {
        ModelKwargs c = new ModelKwargs();
        c.attentionMask = attentionMask;
        c.decoderAttentionMask = decoderAttentionMask;
        c.tokenTypeIds = tokenTypeIds;
        c.positionIds = positionIds;
        c.inputsEmbeds = inputsEmbeds;
        c.cachePosition = cachePosition;
        c.pastKeyValues = pastKeyValues;
        c.encoderOutputs = encoderOutputs;
        c.useCache = useCache;
        c.outputAttentions = outputAttentions;
        c.outputHiddenStates = outputHiddenStates;
        c.extra.putAll(extra);
        return c;
    }

    /** (batch, length) of 1 / 0 over every token so far (decoder-only), or the encoder's mask (encoder-decoders). */
    public NDArray attentionMask() { return attentionMask; }
    /** The decoder's padding mask of an encoder-decoder, when the caller gave one. */
    public NDArray decoderAttentionMask() { return decoderAttentionMask; }
    public NDArray tokenTypeIds() { return tokenTypeIds; }
    /** Position ids the caller passed to generate() (most models recompute them from the attention mask). */
    public NDArray positionIds() { return positionIds; }
    /** Prompt embeddings used instead of input_ids in the first step (decoder-only models that support it). */
    public NDArray inputsEmbeds() { return inputsEmbeds; }
    /** Python's {@code cache_position}: the positions the next step's tokens take in the cache (int64). */
    public NDArray cachePosition() { return cachePosition; }
    /** The cache the previous step returned (legacy {@code List<NDArray[]>} or a {@link Cache}), or null. */
    public Object pastKeyValues() { return pastKeyValues; }
    public EncoderOutput encoderOutputs() { return encoderOutputs; }
    public boolean useCache() { return useCache; }
    public boolean outputAttentions() { return outputAttentions; }
    public boolean outputHiddenStates() { return outputHiddenStates; }
    /** Other tensors passed to generate() by Python name, batch-expanded like the rest. */
    public Map<String, NDArray> extra() { return Collections.unmodifiableMap(extra); }

    public ModelKwargs attentionMask(NDArray v) { attentionMask = v; return this; }
    public ModelKwargs decoderAttentionMask(NDArray v) { decoderAttentionMask = v; return this; }
    public ModelKwargs tokenTypeIds(NDArray v) { tokenTypeIds = v; return this; }
    public ModelKwargs positionIds(NDArray v) { positionIds = v; return this; }
    public ModelKwargs inputsEmbeds(NDArray v) { inputsEmbeds = v; return this; }
    public ModelKwargs cachePosition(NDArray v) { cachePosition = v; return this; }
    public ModelKwargs pastKeyValues(Object v) { pastKeyValues = v; return this; }
    public ModelKwargs encoderOutputs(EncoderOutput v) { encoderOutputs = v; return this; }
    public ModelKwargs useCache(boolean v) { useCache = v; return this; }
    public ModelKwargs outputAttentions(boolean v) { outputAttentions = v; return this; }
    public ModelKwargs outputHiddenStates(boolean v) { outputHiddenStates = v; return this; }

    public ModelKwargs putExtra(String pythonName, NDArray v) {
        if (v == null) {
            extra.remove(pythonName);
        } else {
            extra.put(pythonName, v);
        }
        return this;
    }

    /** Every batch-first tensor Python's {@code _expand_inputs_for_generation} repeats (encoder outputs aside). */
    Map<String, NDArray> expandableTensors() {
        Map<String, NDArray> m = new LinkedHashMap<>();
        putIfSet(m, "attention_mask", attentionMask);
        putIfSet(m, "decoder_attention_mask", decoderAttentionMask);
        putIfSet(m, "token_type_ids", tokenTypeIds);
        putIfSet(m, "position_ids", positionIds);
        putIfSet(m, "inputs_embeds", inputsEmbeds);
        m.putAll(extra);
        return m;
    }

    /** Sets the tensor {@link #expandableTensors()} listed under {@code name}. */
    void setTensor(String name, NDArray v) {
        switch (name) {
            case "attention_mask" -> attentionMask = v;
            case "decoder_attention_mask" -> decoderAttentionMask = v;
            case "token_type_ids" -> tokenTypeIds = v;
            case "position_ids" -> positionIds = v;
            case "inputs_embeds" -> inputsEmbeds = v;
            default -> extra.put(name, v);
        }
    }

    private static void putIfSet(Map<String, NDArray> m, String k, NDArray v) {
        if (v != null) {
            m.put(k, v);
        }
    }
}
