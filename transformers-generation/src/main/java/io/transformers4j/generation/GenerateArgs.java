package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The arguments of one {@code generate()} call, named as in Python's signature:
 * {@code generate(inputs, generation_config, logits_processor, stopping_criteria, prefix_allowed_tokens_fn,
 * assistant_model, streamer, negative_prompt_ids, negative_prompt_attention_mask, **kwargs)}.
 *
 * <pre>{@code
 * GenerateArgs args = GenerateArgs.builder()
 *         .inputIds(ids).attentionMask(mask)
 *         .set("max_new_tokens", 20).set("num_beams", 4)   // generation_config overrides
 *         .seed(42)                                        // for sampling
 *         .build();
 * }</pre>
 *
 * {@link Builder#set} takes Python's {@code **kwargs}: a name that is a {@link GenerationConfig} attribute overrides
 * it (Python's {@code generation_config.update(**kwargs)}); any other name is a model argument
 * ({@code attention_mask}, {@code pixel_values}, {@code decoder_input_ids}, {@code past_key_values},
 * {@code encoder_outputs}, ...), checked against what the model accepts.
 */
public final class GenerateArgs {
    private final NDArray inputs;
    private final GenerationConfig generationConfig;
    private final Map<String, Object> kwargs;
    private final LogitsProcessorList logitsProcessor;
    private final StoppingCriteriaList stoppingCriteria;
    private final PrefixConstrainedLogitsProcessor.PrefixAllowedTokensFn prefixAllowedTokensFn;
    private final GenerationModel assistantModel;
    private final BaseStreamer streamer;
    private final NDArray negativePromptIds;
    private final NDArray negativePromptAttentionMask;
    private final Random random;

    private GenerateArgs(Builder b) {
        this.inputs = b.inputs;
        this.generationConfig = b.generationConfig;
        this.kwargs = Collections.unmodifiableMap(new LinkedHashMap<>(b.kwargs));
        this.logitsProcessor = b.logitsProcessor;
        this.stoppingCriteria = b.stoppingCriteria;
        this.prefixAllowedTokensFn = b.prefixAllowedTokensFn;
        this.assistantModel = b.assistantModel;
        this.streamer = b.streamer;
        this.negativePromptIds = b.negativePromptIds;
        this.negativePromptAttentionMask = b.negativePromptAttentionMask;
        this.random = b.random;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.inputs = inputs;
        b.generationConfig = generationConfig;
        b.kwargs.putAll(kwargs);
        b.logitsProcessor = logitsProcessor;
        b.stoppingCriteria = stoppingCriteria;
        b.prefixAllowedTokensFn = prefixAllowedTokensFn;
        b.assistantModel = assistantModel;
        b.streamer = streamer;
        b.negativePromptIds = negativePromptIds;
        b.negativePromptAttentionMask = negativePromptAttentionMask;
        b.random = random;
        return b;
    }

    /** Python's positional {@code inputs}: input_ids, or the encoder's main input (input_features, pixel_values). */
    public NDArray inputs() { return inputs; }
    /** Null: the model's {@link GenerationModel#generationConfig()}. */
    public GenerationConfig generationConfig() { return generationConfig; }
    /** Python's {@code **kwargs}: config overrides and model arguments, by Python name, in call order. */
    public Map<String, Object> kwargs() { return kwargs; }
    public LogitsProcessorList logitsProcessor() { return logitsProcessor; }
    public StoppingCriteriaList stoppingCriteria() { return stoppingCriteria; }
    public PrefixConstrainedLogitsProcessor.PrefixAllowedTokensFn prefixAllowedTokensFn() { return prefixAllowedTokensFn; }
    public GenerationModel assistantModel() { return assistantModel; }
    public BaseStreamer streamer() { return streamer; }
    public NDArray negativePromptIds() { return negativePromptIds; }
    public NDArray negativePromptAttentionMask() { return negativePromptAttentionMask; }
    /** The random source of sampling strategies; null: a fresh unseeded one per call. */
    public Random random() { return random; }

    public static final class Builder {
        private NDArray inputs;
        private GenerationConfig generationConfig;
        private final Map<String, Object> kwargs = new LinkedHashMap<>();
        private LogitsProcessorList logitsProcessor;
        private StoppingCriteriaList stoppingCriteria;
        private PrefixConstrainedLogitsProcessor.PrefixAllowedTokensFn prefixAllowedTokensFn;
        private GenerationModel assistantModel;
        private BaseStreamer streamer;
        private NDArray negativePromptIds;
        private NDArray negativePromptAttentionMask;
        private Random random;

        private Builder() {}

        public Builder inputs(NDArray v) { inputs = v; return this; }
        /** {@code input_ids=} as a keyword (Python allows both the positional and the keyword form, not together). */
        public Builder inputIds(NDArray v) { return set("input_ids", v); }
        public Builder attentionMask(NDArray v) { return set("attention_mask", v); }
        public Builder pastKeyValues(Object v) { return set("past_key_values", v); }
        public Builder encoderOutputs(EncoderOutput v) { return set("encoder_outputs", v); }
        public Builder generationConfig(GenerationConfig v) { generationConfig = v; return this; }
        public Builder logitsProcessor(LogitsProcessorList v) { logitsProcessor = v; return this; }
        public Builder stoppingCriteria(StoppingCriteriaList v) { stoppingCriteria = v; return this; }
        public Builder prefixAllowedTokensFn(PrefixConstrainedLogitsProcessor.PrefixAllowedTokensFn v) {
            prefixAllowedTokensFn = v;
            return this;
        }
        public Builder assistantModel(GenerationModel v) { assistantModel = v; return this; }
        public Builder streamer(BaseStreamer v) { streamer = v; return this; }
        public Builder negativePromptIds(NDArray v) { negativePromptIds = v; return this; }
        public Builder negativePromptAttentionMask(NDArray v) { negativePromptAttentionMask = v; return this; }
        /** Sampling draws from {@code new Random(seed)}: same seed, same tokens (not torch's random stream). */
        public Builder seed(long seed) { random = new Random(seed); return this; }
        public Builder random(Random v) { random = v; return this; }

        /**
         * One of Python's {@code **kwargs}: a generation config attribute ({@code "max_new_tokens"},
         * {@code "num_beams"}, ...) or a model argument ({@code "pixel_values"}, ...). Null removes it.
         */
        public Builder set(String pythonName, Object value) {
            if (pythonName == null || pythonName.isEmpty()) {
                throw new IllegalArgumentException("generate() keyword argument name must not be empty");
            }
            if (value == null) {
                kwargs.remove(pythonName);
            } else {
                kwargs.put(pythonName, value);
            }
            return this;
        }

        /** Every entry of {@code kwargs}, as {@link #set} would. */
        public Builder setAll(Map<String, ?> values) {
            values.forEach(this::set);
            return this;
        }

        public GenerateArgs build() {
            return new GenerateArgs(this);
        }
    }
}
