package io.transformers4j.models.blenderbot_small;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.IntNode;
import io.transformers4j.config.PretrainedConfig;

/**
 * BlenderbotSmall's config.json. Port of {@code BlenderbotSmallConfig}
 * (models/blenderbot_small/configuration_blenderbot_small.py), with Python's defaults (those of
 * facebook/blenderbot_small-90M). Python's attribute_map makes {@code hidden_size} mean {@code d_model} and
 * {@code num_attention_heads} mean {@code encoder_attention_heads}.
 */
public class BlenderbotSmallConfig extends PretrainedConfig {

    @JsonProperty("vocab_size") private int vocabSize = 50265;
    @JsonProperty("max_position_embeddings") private int maxPositionEmbeddings = 512;
    @JsonProperty("encoder_layers") private int encoderLayers = 8;
    @JsonProperty("encoder_ffn_dim") private int encoderFfnDim = 2048;
    @JsonProperty("encoder_attention_heads") @JsonAlias("num_attention_heads") private int encoderAttentionHeads = 16;
    @JsonProperty("decoder_layers") private int decoderLayers = 8;
    @JsonProperty("decoder_ffn_dim") private int decoderFfnDim = 2048;
    @JsonProperty("decoder_attention_heads") private int decoderAttentionHeads = 16;
    @JsonProperty("encoder_layerdrop") private double encoderLayerdrop = 0.0;
    @JsonProperty("decoder_layerdrop") private double decoderLayerdrop = 0.0;
    @JsonProperty("use_cache") private boolean useCache = true;
    @JsonProperty("activation_function") private String activationFunction = "gelu";
    @JsonProperty("d_model") @JsonAlias("hidden_size") private int dModel = 512;
    @JsonProperty("dropout") private double dropout = 0.1;
    @JsonProperty("attention_dropout") private double attentionDropout = 0.0;
    @JsonProperty("activation_dropout") private double activationDropout = 0.0;
    @JsonProperty("init_std") private double initStd = 0.02;
    /** Multiply token embeddings by sqrt(d_model). */
    @JsonProperty("scale_embedding") private boolean scaleEmbedding = false;
    @JsonProperty("forced_eos_token_id") private Integer forcedEosTokenId = 2;
    /** Python sets it to encoder_layers. */
    @JsonProperty("num_hidden_layers") private Integer numHiddenLayers;

    protected BlenderbotSmallConfig() {
        modelType = "blenderbot-small";
        isEncoderDecoder = true;
        decoderStartTokenId = 1;
        padTokenId = 0;
        bosTokenId = 1;
        eosTokenId = IntNode.valueOf(2);
    }

    @Override
    protected void postInit() {
        super.postInit();
        if (numHiddenLayers == null) {
            numHiddenLayers = encoderLayers;
        }
        check(encoderAttentionHeads, "encoder_attention_heads");
        check(decoderAttentionHeads, "decoder_attention_heads");
    }

    private void check(int heads, String name) {
        if (dModel % heads != 0) {
            throw new IllegalArgumentException("embed_dim must be divisible by num_heads (got `embed_dim`: " + dModel
                    + " and `num_heads`: " + heads + " from " + name + ").");
        }
    }

    public int vocabSize() { return vocabSize; }
    public int maxPositionEmbeddings() { return maxPositionEmbeddings; }
    public int encoderLayers() { return encoderLayers; }
    public int encoderFfnDim() { return encoderFfnDim; }
    public int encoderAttentionHeads() { return encoderAttentionHeads; }
    public int decoderLayers() { return decoderLayers; }
    public int decoderFfnDim() { return decoderFfnDim; }
    public int decoderAttentionHeads() { return decoderAttentionHeads; }
    public double encoderLayerdrop() { return encoderLayerdrop; }
    public double decoderLayerdrop() { return decoderLayerdrop; }
    public boolean useCache() { return useCache; }
    public String activationFunction() { return activationFunction; }
    public int dModel() { return dModel; }
    public double dropout() { return dropout; }
    public double attentionDropout() { return attentionDropout; }
    public double activationDropout() { return activationDropout; }
    public double initStd() { return initStd; }
    public boolean scaleEmbedding() { return scaleEmbedding; }
    public Integer forcedEosTokenId() { return forcedEosTokenId; }
    public int numHiddenLayers() { return numHiddenLayers; }
    /** {@code d_model}. */
    public int hiddenSize() { return dModel; }
    /** {@code encoder_attention_heads}. */
    public int numAttentionHeads() { return encoderAttentionHeads; }
    @Override public float initializerRange() { return (float) initStd; }
}
