package io.transformers4j.models.encoder_decoder;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.auto.ModelRegistry;
import io.transformers4j.config.PretrainedConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Configuration of an {@link EncoderDecoderModel}: the encoder's and the decoder's own configs, nested under
 * {@code encoder} and {@code decoder} in config.json, plus the composite's fields ({@code decoder_start_token_id},
 * {@code pad_token_id}, ...). Port of {@code EncoderDecoderConfig} (configuration_encoder_decoder.py).
 *
 * <p>Each sub-config is bound to the config class of its {@code model_type} (found through {@link ModelRegistry}, as
 * Python's {@code AutoConfig.for_model}), so any registered family can be either half. Unknown keys, at the top and in
 * the sub-configs, are kept for saving.
 *
 * <pre>{@code
 * BertConfig encoder = BertConfig.of(Map.of("hidden_size", 32, ...));
 * EncoderDecoderConfig config = EncoderDecoderConfig.fromEncoderDecoderConfigs(encoder, encoder,
 *         Map.of("decoder_start_token_id", 101, "pad_token_id", 0));
 * config.decoder().isDecoder(); // true: the decoder is made causal and given cross-attention
 * }</pre>
 */
public class EncoderDecoderConfig extends PretrainedConfig {

    private static final Logger LOG = LoggerFactory.getLogger(EncoderDecoderConfig.class);

    public static final String MODEL_TYPE = "encoder-decoder";

    // The sub-configs as config.json holds them; rebuilt from the typed configs once those are bound (postInit), so
    // saving writes what the typed configs hold.
    @JsonProperty("encoder") private ObjectNode encoderJson;
    @JsonProperty("decoder") private ObjectNode decoderJson;

    @JsonIgnore private PretrainedConfig encoder;
    @JsonIgnore private PretrainedConfig decoder;

    protected EncoderDecoderConfig() {
        modelType = MODEL_TYPE;
        isEncoderDecoder = true;
    }

    @Override
    protected void postInit() {
        super.postInit();
        if (encoderJson == null || decoderJson == null) {
            throw new IllegalArgumentException("A configuraton of type " + MODEL_TYPE + " cannot be instantiated "
                    + "because both `encoder` and `decoder` sub-configurations were not passed, only "
                    + (encoderJson != null ? "`encoder`" : decoderJson != null ? "`decoder`" : "the other keys")
                    + " (config.json needs an \"encoder\" and a \"decoder\" object, each with its model_type)");
        }
        encoder = subConfig("encoder", encoderJson);
        decoder = subConfig("decoder", decoderJson);
        encoderJson = nestedJson(encoder);
        decoderJson = nestedJson(decoder);
        // Python's to_dict writes the class's model_type whatever was loaded; is_encoder_decoder is always true.
        modelType = MODEL_TYPE;
        isEncoderDecoder = true;
    }

    /** Python's {@code AutoConfig.for_model(model_type, **sub_config)}. */
    private static PretrainedConfig subConfig(String which, ObjectNode json) {
        JsonNode type = json.get("model_type");
        if (type == null || !type.isTextual()) {
            throw new IllegalArgumentException("The " + which + " sub-configuration of an encoder-decoder config has "
                    + "no model_type: cannot tell which config class to use");
        }
        Class<? extends PretrainedConfig> cls = ModelRegistry.family(type.asText()).configClass();
        return PretrainedConfig.fromJson(json.deepCopy(), cls, "the " + which + " sub-configuration");
    }

    /** A sub-config as nested JSON: Python drops transformers_version from nested configs. */
    private static ObjectNode nestedJson(PretrainedConfig config) {
        ObjectNode json = config.toJson();
        json.remove("transformers_version");
        return json;
    }

    /**
     * Python's {@code EncoderDecoderConfig.from_encoder_decoder_configs}: the decoder config gets
     * {@code is_decoder=True} and {@code add_cross_attention=True} (a copy: configs are immutable).
     */
    public static EncoderDecoderConfig fromEncoderDecoderConfigs(PretrainedConfig encoderConfig,
            PretrainedConfig decoderConfig) {
        return fromEncoderDecoderConfigs(encoderConfig, decoderConfig, Map.of());
    }

    /** As {@link #fromEncoderDecoderConfigs(PretrainedConfig, PretrainedConfig)}, plus the composite's own keys. */
    public static EncoderDecoderConfig fromEncoderDecoderConfigs(PretrainedConfig encoderConfig,
            PretrainedConfig decoderConfig, Map<String, ?> kwargs) {
        LOG.info("Set `config.is_decoder=True` and `config.add_cross_attention=True` for decoder_config");
        PretrainedConfig causal = decoderConfig.withOverrides(Map.of("is_decoder", true, "add_cross_attention", true));
        Map<String, Object> values = new LinkedHashMap<>(kwargs);
        values.put("encoder", encoderConfig.toJson());
        values.put("decoder", causal.toJson());
        return fromMap(values, EncoderDecoderConfig.class);
    }

    /** The encoder's config (any registered model_type). */
    public PretrainedConfig encoder() {
        return encoder;
    }

    /** The decoder's config (normally with is_decoder and add_cross_attention). */
    public PretrainedConfig decoder() {
        return decoder;
    }

    /** Parameters the composite itself creates (enc_to_dec_proj) start like the decoder's. */
    @Override
    public float initializerRange() {
        return decoder.initializerRange();
    }
}
