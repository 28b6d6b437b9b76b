package io.transformers4j.models.llama;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.IntNode;
import io.transformers4j.config.PretrainedConfig;
import java.util.Map;

/**
 * Llama's config.json. Port of {@code LlamaConfig} (models/llama/configuration_llama.py) with Python's defaults (those
 * of Llama-7B) and fill-in logic: {@code num_key_value_heads} defaults to {@code num_attention_heads} (multi-head
 * attention), and {@code rope_scaling} is validated as in {@code _rope_scaling_validation}.
 */
public class LlamaConfig extends PretrainedConfig {

    @JsonProperty("vocab_size") private int vocabSize = 32000;
    @JsonProperty("hidden_size") private int hiddenSize = 4096;
    @JsonProperty("intermediate_size") private int intermediateSize = 11008;
    @JsonProperty("num_hidden_layers") private int numHiddenLayers = 32;
    @JsonProperty("num_attention_heads") private int numAttentionHeads = 32;
    /** Grouped-query attention: key/value heads shared by groups of query heads; null means num_attention_heads. */
    @JsonProperty("num_key_value_heads") private Integer numKeyValueHeads;
    @JsonProperty("hidden_act") private String hiddenAct = "silu";
    @JsonProperty("max_position_embeddings") private int maxPositionEmbeddings = 2048;
    @JsonProperty("initializer_range") private double initializerRange = 0.02;
    @JsonProperty("rms_norm_eps") private double rmsNormEps = 1e-6;
    @JsonProperty("use_cache") private boolean useCache = true;
    /** Tensor-parallel rank of pretraining; Python splits the projections into this many slices (same math). */
    @JsonProperty("pretraining_tp") private int pretrainingTp = 1;
    @JsonProperty("rope_theta") private double ropeTheta = 10000.0;
    /** {"type": "linear" | "dynamic", "factor": float > 1}, or null. */
    @JsonProperty("rope_scaling") private Map<String, Object> ropeScaling;
    @JsonProperty("attention_bias") private boolean attentionBias = false;
    @JsonProperty("attention_dropout") private double attentionDropout = 0.0;

    protected LlamaConfig() {
        modelType = "llama";
        bosTokenId = 1;
        eosTokenId = IntNode.valueOf(2);
        tieWordEmbeddings = false;
    }

    @Override
    protected void postInit() {
        super.postInit();
        if (numKeyValueHeads == null) {
            numKeyValueHeads = numAttentionHeads; // "for backward compatibility"
        }
        ropeScalingValidation(ropeScaling);
        validateHeads(hiddenSize, numAttentionHeads, numKeyValueHeads);
    }

    /** Python's {@code _rope_scaling_validation} (shared by Persimmon's config), with its messages. */
    public static void ropeScalingValidation(Map<String, Object> ropeScaling) {
        if (ropeScaling == null) {
            return;
        }
        if (ropeScaling.size() != 2) {
            throw new IllegalArgumentException("`rope_scaling` must be a dictionary with with two fields, `type` and "
                    + "`factor`, got " + ropeScaling);
        }
        Object type = ropeScaling.get("type");
        Object factor = ropeScaling.get("factor");
        if (!"linear".equals(type) && !"dynamic".equals(type)) {
            throw new IllegalArgumentException("`rope_scaling`'s type field must be one of ['linear', 'dynamic'], got "
                    + type);
        }
        // Python checks isinstance(factor, float): JSON 2 (an int) is rejected, 2.0 accepted.
        if (!(factor instanceof Double || factor instanceof Float) || ((Number) factor).doubleValue() <= 1.0) {
            throw new IllegalArgumentException("`rope_scaling`'s factor field must be a float > 1, got " + factor);
        }
    }

    /**
     * The checks Python makes when it builds the attention (and the one repeat_kv needs), made when the config is
     * read so a bad config fails before any weight is loaded.
     */
    public static void validateHeads(int hiddenSize, int numHeads, int numKeyValueHeads) {
        if (numHeads <= 0 || hiddenSize % numHeads != 0) {
            throw new IllegalArgumentException("hidden_size must be divisible by num_heads (got `hidden_size`: "
                    + hiddenSize + " and `num_heads`: " + numHeads + ").");
        }
        if (numKeyValueHeads <= 0 || numHeads % numKeyValueHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads must be divisible by num_key_value_heads (got "
                    + "`num_attention_heads`: " + numHeads + " and `num_key_value_heads`: " + numKeyValueHeads
                    + "): each key/value head serves a whole group of query heads.");
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
    public int pretrainingTp() { return pretrainingTp; }
    public double ropeTheta() { return ropeTheta; }
    /** The rope_scaling dict, or null. */
    public Map<String, Object> ropeScaling() { return ropeScaling == null ? null : Map.copyOf(ropeScaling); }
    /** rope_scaling's type ("linear", "dynamic"), or null without scaling. */
    public String ropeScalingType() { return ropeScaling == null ? null : (String) ropeScaling.get("type"); }
    /** rope_scaling's factor, or 1 without scaling. */
    public double ropeScalingFactor() {
        return ropeScaling == null ? 1.0 : ((Number) ropeScaling.get("factor")).doubleValue();
    }
    public boolean attentionBias() { return attentionBias; }
    public double attentionDropout() { return attentionDropout; }
    public int headDim() { return hiddenSize / numAttentionHeads; }
}
