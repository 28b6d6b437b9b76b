package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import io.transformers4j.modeling.ModelInputs;
import java.util.Set;

/**
 * A model {@code generate()} can drive: a language-modelling head over a decoder (GPT-2, Llama, BERT as a decoder) or
 * an encoder-decoder (T5, BART). The Java face of Python's {@code GenerationMixin}: the model supplies one decoding
 * step ({@link #prepareInputsForGeneration} then {@link #forwardForGeneration}), cache reordering for beams and, for
 * encoder-decoders, the encoder pass; {@link Generation} runs the strategies.
 *
 * <pre>{@code
 * try (GPT2LMHeadModel model = GPT2LMHeadModel.fromPretrained("openai-community/gpt2")) {
 *     GenerateOutput out = model.generate(inputIds, attentionMask,
 *             model.generationConfig().with("max_new_tokens", 20));
 *     NDArray sequences = out.sequences(); // (batch, prompt + new)
 * }
 * }</pre>
 *
 * <p>Tensors a step returns belong to the manager of the first input tensor (the rule of every forward here), and the
 * cache a step returns is handed back unchanged in {@link ModelKwargs#pastKeyValues()}: either Python's legacy form
 * ({@code List<NDArray[]>}, per layer {key, value[, cross key, cross value]}, batch first) or a {@link Cache}.
 */
public interface GenerationModel {

    /** The Python class name, for messages ({@code "GPT2LMHeadModel"}). */
    default String modelClassName() {
        return getClass().getSimpleName();
    }

    /**
     * The default generation parameters ({@code model.generation_config}): generation_config.json next to the
     * weights, or the one derived from config.json.
     */
    GenerationConfig generationConfig();

    /**
     * Replaces the default generation parameters (Python assigns {@code model.generation_config}; assisted decoding
     * stores the assistant's learned {@code num_assistant_tokens} there).
     */
    void setGenerationConfig(GenerationConfig generationConfig);

    /** {@code config.is_encoder_decoder}. */
    boolean isEncoderDecoder();

    /** {@code config.max_position_embeddings} (MaxLengthCriteria warns past it), or null. */
    Integer maxPositionEmbeddings();

    /**
     * The name of the tensor generation starts from: Python's {@code main_input_name} of the model, or of its encoder
     * ({@code input_features}, {@code pixel_values}) for an encoder-decoder.
     */
    default String mainInputName() {
        return "input_ids";
    }

    /** Whether forward takes an {@code attention_mask} (generate() then builds one when none is given). */
    default boolean acceptsAttentionMask() {
        return true;
    }

    /**
     * The keyword arguments {@code generate()} may pass on to the model (Python's signature check of
     * {@code prepare_inputs_for_generation} / {@code forward}, encoder and {@code decoder_*} arguments included), or
     * null to accept any.
     */
    default Set<String> modelKwargNames() {
        return null;
    }

    /**
     * Whether {@code forward} takes {@code num_logits_to_keep} (an int: compute the LM head on the last N positions
     * only, 0 = all), as Python's causal LMs do from transformers 4.45. {@code generate()} then passes 1 where it
     * reads only the last position's logits: the prompt pass no longer materialises (batch, prompt, vocab) float32
     * logits (65 MB for a 512-token prompt over a 32000-token vocabulary); the kept logits are the same to float
     * rounding (the LM head's matmul over fewer rows may block its sums differently).
     */
    default boolean acceptsNumLogitsToKeep() {
        return false;
    }

    /** Python's {@code _supports_cache_class}: whether {@code past_key_values} may be a {@link Cache}. */
    default boolean supportsCacheClass() {
        return false;
    }

    /**
     * Runs the encoder once (encoder-decoders). {@code encoderInputs} holds the main input under
     * {@link #mainInputName()}, the attention mask and the encoder's other arguments (Python passes every model kwarg
     * that does not start with {@code decoder_}, {@code cross_attn} or {@code use_cache}), plus
     * {@code output_attentions} / {@code output_hidden_states}.
     */
    default EncoderOutput encode(ModelInputs encoderInputs) {
        throw new UnsupportedOperationException(modelClassName() + " is not an encoder-decoder model");
    }

    /**
     * Python's {@code prepare_inputs_for_generation}: the forward arguments for one step over {@code inputIds}
     * (batch, all tokens so far; the decoder's tokens for an encoder-decoder): typically only the tokens the cache does
     * not hold, the attention mask, position ids, the cache and {@code use_cache}. {@code generate()} adds
     * {@code output_attentions} / {@code output_hidden_states}.
     */
    ModelInputs prepareInputsForGeneration(NDArray inputIds, ModelKwargs kwargs);

    /** The forward pass of one step: logits (batch, new tokens, vocab), the updated cache, and what was asked for. */
    GenerationStepOutput forwardForGeneration(ModelInputs inputs);

    /**
     * Reorders the cache along the batch for beam search (Python's {@code _reorder_cache} for the legacy form,
     * {@code Cache.reorder_cache} otherwise); returns the cache to use from now on. The default selects rows of every
     * tensor of every layer.
     */
    default Object reorderCache(Object pastKeyValues, NDArray beamIdx) {
        return PastKeyValues.reorder(pastKeyValues, beamIdx);
    }

    /**
     * A new cache for {@code generation_config.cache_implementation} (Python's {@code _setup_cache}; only
     * {@code "static"} exists in 4.39). Models without one keep Python's message.
     */
    default Object newCache(String cacheImplementation, int maxBatchSize, int maxCacheLen) {
        throw new IllegalArgumentException("The `generation_config` defines a `cache_implementation` that is not "
                + "compatible with this model. Make sure it has a `_setup_cache` function.");
    }

    // ---------------------------------------------------------------- generate()

    /** {@code model.generate(input_ids)} with the model's generation config. */
    default GenerateOutput generate(NDArray inputIds) {
        return Generation.generate(this, GenerateArgs.builder().inputs(inputIds).build());
    }

    /**
     * {@code model.generate(input_ids, attention_mask=..., generation_config=config)}; a null config means the
     * model's. With {@code return_dict_in_generate} false only {@link GenerateOutput#sequences()} is filled.
     */
    default GenerateOutput generate(NDArray inputIds, NDArray attentionMask, GenerationConfig config) {
        return Generation.generate(this, GenerateArgs.builder().inputs(inputIds).attentionMask(attentionMask)
                .generationConfig(config).build());
    }

    /** The full call: processors, stopping criteria, streamer, assistant, seed, config overrides, model kwargs. */
    default GenerateOutput generate(GenerateArgs args) {
        return Generation.generate(this, args);
    }
}
