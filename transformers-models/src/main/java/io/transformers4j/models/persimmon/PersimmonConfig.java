package io.transformers4j.models.persimmon;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.IntNode;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.models.llama.LlamaConfig;
import java.util.Map;

/**
 * Persimmon's config.json. Port of {@code PersimmonConfig} (models/persimmon/configuration_persimmon.py) with Python's
 * defaults (those of adept/persimmon-8b-base): LayerNorm instead of RMSNorm, query/key LayerNorm, rotary embeddings
 * on the first {@code partial_rotary_factor} of each head, and a squared-ReLU MLP.
 */
public class PersimmonConfig extends PretrainedConfig {

    @JsonProperty("vocab_size") private int vocabSize = 262144;
    @JsonProperty("hidden_size") private int hiddenSize = 4096;
    @JsonProperty("intermediate_size") private int intermediateSize = 16384;
    @JsonProperty("num_hidden_layers") private int numHiddenLayers = 36;
    @JsonProperty("num_attention_heads") private int numAttentionHeads = 64;
    @JsonProperty("hidden_act") private String hiddenAct = "relu2";
    @JsonProperty("max_position_embeddings") private int maxPositionEmbeddings = 16384;
    @JsonProperty("initializer_range") private double initializerRange = 0.02;
    @JsonProperty("layer_norm_eps") private double layerNormEps = 1e-5;
    @JsonProperty("use_cache") private boolean useCache = true;
    @JsonProperty("rope_theta") private double ropeTheta = 25000.0;
    /** {"type": "linear" | "dynamic", "factor": float > 1}, or null. */
    @JsonProperty("rope_scaling") private Map<String, Object> ropeScaling;
    @JsonProperty("qk_layernorm") private boolean qkLayernorm = true;
    @JsonProperty("hidden_dropout") private double hiddenDropout = 0.0;
    @JsonProperty("attention_dropout") private double attentionDropout = 0.0;
    @JsonProperty("partial_rotary_factor") private double partialRotaryFactor = 0.5;

    protected PersimmonConfig() {
        modelType = "persimmon";
        bosTokenId = 1;
        eosTokenId = IntNode.valueOf(2);
        tieWordEmbeddings = false;
    }

    @Override
    protected void postInit() {
        super.postInit();
        // Python: "Copied from transformers.models.llama.configuration_llama.LlamaConfig._rope_scaling_validation".
        LlamaConfig.ropeScalingValidation(ropeScaling);
        LlamaConfig.validateHeads(hiddenSize, numAttentionHeads, numAttentionHeads);
        int rotary = rotaryDim();
        if (rotary <= 0 || rotary % 2 != 0 || rotary > headDim()) {
            throw new IllegalArgumentException("partial_rotary_factor " + partialRotaryFactor + " x head_dim "
                    + headDim() + " gives " + rotary + " rotary dimensions: it must be an even number in (0, head_dim]");
        }
    }

    public int vocabSize() { return vocabSize; }
    public int hiddenSize() { return hiddenSize; }
    public int intermediateSize() { return intermediateSize; }
    public int numHiddenLayers() { return numHiddenLayers; }
    public int numAttentionHeads() { return numAttentionHeads; }
    public String hiddenAct() { return hiddenAct; }
    public int maxPositionEmbeddings() { return maxPositionEmbeddings; }
    @Override public float initializerRange() { return (float) initializerRange; }
    public double layerNormEps() { return layerNormEps; }
    public boolean useCache() { return useCache; }
    public double ropeTheta() { return ropeTheta; }
    /** The rope_scaling dict, or null. */
    public Map<String, Object> ropeScaling() { return ropeScaling == null ? null : Map.copyOf(ropeScaling); }
    /** rope_scaling's type ("linear", "dynamic"), or null without scaling. */
    public String ropeScalingType() { return ropeScaling == null ? null : (String) ropeScaling.get("type"); }
    /** rope_scaling's factor, or 1 without scaling. */
    public double ropeScalingFactor() {
        return ropeScaling == null ? 1.0 : ((Number) ropeScaling.get("factor")).doubleValue();
    }
    public boolean qkLayernorm() { return qkLayernorm; }
    public double hiddenDropout() { return hiddenDropout; }
    public double attentionDropout() { return attentionDropout; }
    public double partialRotaryFactor() { return partialRotaryFactor; }
    public int headDim() { return hiddenSize / numAttentionHeads; }
    /** Python's {@code int(partial_rotary_factor * head_dim)}: how many leading dimensions of each head rotate. */
    public int rotaryDim() { return (int) (partialRotaryFactor * headDim()); }
}
