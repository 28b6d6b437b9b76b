package io.transformers4j.models.mistral;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.IntNode;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.models.llama.LlamaConfig;

/**
 * Mistral's config.json. Port of {@code MistralConfig} (models/mistral/configuration_mistral.py) with Python's
 * defaults (those of Mistral-7B-v0.1): grouped-query attention with 8 key/value heads and a 4096-token sliding window.
 */
public class MistralConfig extends PretrainedConfig {

    @JsonProperty("vocab_size") private int vocabSize = 32000;
    @JsonProperty("hidden_size") private int hiddenSize = 4096;
    @JsonProperty("intermediate_size") private int intermediateSize = 14336;
    @JsonProperty("num_hidden_layers") private int numHiddenLayers = 32;
    @JsonProperty("num_attention_heads") private int numAttentionHeads = 32;
    /** null means num_attention_heads (Python's "for backward compatibility"). */
    @JsonProperty("num_key_value_heads") private Integer numKeyValueHeads = 8;
    @JsonProperty("hidden_act") private String hiddenAct = "silu";
    @JsonProperty("max_position_embeddings") private int maxPositionEmbeddings = 4096 * 32;
    @JsonProperty("initializer_range") private double initializerRange = 0.02;
    @JsonProperty("rms_norm_eps") private double rmsNormEps = 1e-6;
    @JsonProperty("use_cache") private boolean useCache = true;
    @JsonProperty("rope_theta") private double ropeTheta = 10000.0;
    /** Each token attends to itself and the sliding_window tokens before it; null: full causal attention. */
    @JsonProperty("sliding_window") private Integer slidingWindow = 4096;
    @JsonProperty("attention_dropout") private double attentionDropout = 0.0;

    protected MistralConfig() {
        modelType = "mistral";
        bosTokenId = 1;
        eosTokenId = IntNode.valueOf(2);
        tieWordEmbeddings = false;
    }

    @Override
    protected void postInit() {
        super.postInit();
        if (numKeyValueHeads == null) {
            numKeyValueHeads = numAttentionHeads;
        }
        LlamaConfig.validateHeads(hiddenSize, numAttentionHeads, numKeyValueHeads);
        if (slidingWindow != null && slidingWindow <= 0) {
            throw new IllegalArgumentException("sliding_window must be a positive number of tokens or null (full "
                    + "attention), got " + slidingWindow);
        }
    }

    public int vocabSize() { return vocabSize; }
    public int hiddenSize() { return hiddenSize; }
    public int intermediateSize() { return intermediateSize; }
    public int numHiddenLayers() { return numHiddenLayers; }
    public int numAttentionHeads() { return numAttentionHeads; }
    public int numKeyValueHeads() { return numKeyValueHeads; }
    public String hiddenAct() { return hiddenAct; }
    public int maxPositionEmbeddings() { return maxPositionEmbeddings; }
    @Override public float initializerRange() { return (float) initializerRange; }
    public double rmsNormEps() { return rmsNormEps; }
    public boolean useCache() { return useCache; }
    public double ropeTheta() { return ropeTheta; }
    /** The window, or null for full causal attention. */
    public Integer slidingWindow() { return slidingWindow; }
    public double attentionDropout() { return attentionDropout; }
    public int headDim() { return hiddenSize / numAttentionHeads; }
}
