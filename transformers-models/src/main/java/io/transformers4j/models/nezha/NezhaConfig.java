package io.transformers4j.models.nezha;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.IntNode;
import io.transformers4j.config.PretrainedConfig;

/**
 * NEZHA's config.json. Port of {@code NezhaConfig} (models/nezha/configuration_nezha.py), with Python's defaults (those
 * of sijunhe/nezha-cn-base). Like BERT's, plus {@code max_relative_position}: the distance beyond which the functional
 * relative position encoding no longer tells positions apart. {@code max_position_embeddings} only bounds the input
 * length: NEZHA has no absolute position embeddings.
 */
public class NezhaConfig extends PretrainedConfig {

    @JsonProperty("vocab_size") private int vocabSize = 21128;
    @JsonProperty("hidden_size") private int hiddenSize = 768;
    @JsonProperty("num_hidden_layers") private int numHiddenLayers = 12;
    @JsonProperty("num_attention_heads") private int numAttentionHeads = 12;
    @JsonProperty("intermediate_size") private int intermediateSize = 3072;
    @JsonProperty("hidden_act") private String hiddenAct = "gelu";
    @JsonProperty("hidden_dropout_prob") private double hiddenDropoutProb = 0.1;
    @JsonProperty("attention_probs_dropout_prob") private double attentionProbsDropoutProb = 0.1;
    @JsonProperty("max_position_embeddings") private int maxPositionEmbeddings = 512;
    @JsonProperty("max_relative_position") private int maxRelativePosition = 64;
    @JsonProperty("type_vocab_size") private int typeVocabSize = 2;
    @JsonProperty("initializer_range") private double initializerRange = 0.02;
    @JsonProperty("layer_norm_eps") private double layerNormEps = 1e-12;
    @JsonProperty("classifier_dropout") private Double classifierDropout = 0.1;
    @JsonProperty("use_cache") private boolean useCache = true;

    protected NezhaConfig() {
        modelType = "nezha";
        padTokenId = 0;
        bosTokenId = 2;
        eosTokenId = IntNode.valueOf(3);
    }

    @Override
    protected void postInit() {
        super.postInit();
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("The hidden size (" + hiddenSize + ") is not a multiple of the number of "
                    + "attention heads (" + numAttentionHeads + ")");
        }
        if (addCrossAttention && !isDecoder) {
            throw new IllegalArgumentException("NezhaLayer should be used as a decoder model if cross attention is "
                    + "added: set is_decoder=true with add_cross_attention=true");
        }
    }

    public int vocabSize() { return vocabSize; }
    public int hiddenSize() { return hiddenSize; }
    public int numHiddenLayers() { return numHiddenLayers; }
    public int numAttentionHeads() { return numAttentionHeads; }
    public int intermediateSize() { return intermediateSize; }
    public String hiddenAct() { return hiddenAct; }
    public double hiddenDropoutProb() { return hiddenDropoutProb; }
    public double attentionProbsDropoutProb() { return attentionProbsDropoutProb; }
    public int maxPositionEmbeddings() { return maxPositionEmbeddings; }
    public int maxRelativePosition() { return maxRelativePosition; }
    public int typeVocabSize() { return typeVocabSize; }
    public double layerNormEps() { return layerNormEps; }
    public Double classifierDropout() { return classifierDropout; }
    public boolean useCache() { return useCache; }
    @Override public float initializerRange() { return (float) initializerRange; }
}
