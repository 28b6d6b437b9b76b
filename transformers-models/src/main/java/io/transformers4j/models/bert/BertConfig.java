package io.transformers4j.models.bert;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.transformers4j.config.PretrainedConfig;
import java.util.List;
import java.util.Map;

/**
 * Configuration of a BERT model, bound to config.json. Port of {@code BertConfig} (configuration_bert.py); the
 * defaults are google-bert/bert-base-uncased's.
 *
 * <p>Build one with {@link #fromMap} (keys as in config.json) or {@link #defaults()}; configs are immutable.
 */
public class BertConfig extends PretrainedConfig {

    public static final String MODEL_TYPE = "bert";

    /** The values Python's {@code position_embedding_type} accepts. */
    public static final List<String> POSITION_EMBEDDING_TYPES = List.of("absolute", "relative_key", "relative_key_query");

    @JsonProperty("vocab_size") protected int vocabSize = 30522;
    @JsonProperty("hidden_size") protected int hiddenSize = 768;
    @JsonProperty("num_hidden_layers") protected int numHiddenLayers = 12;
    @JsonProperty("num_attention_heads") protected int numAttentionHeads = 12;
    @JsonProperty("intermediate_size") protected int intermediateSize = 3072;
    @JsonProperty("hidden_act") protected String hiddenAct = "gelu";
    @JsonProperty("hidden_dropout_prob") protected double hiddenDropoutProb = 0.1;
    @JsonProperty("attention_probs_dropout_prob") protected double attentionProbsDropoutProb = 0.1;
    @JsonProperty("max_position_embeddings") protected int maxPositionEmbeddings = 512;
    @JsonProperty("type_vocab_size") protected int typeVocabSize = 2;
    @JsonProperty("initializer_range") protected double initializerRange = 0.02;
    @JsonProperty("layer_norm_eps") protected double layerNormEps = 1e-12;
    @JsonProperty("position_embedding_type") protected String positionEmbeddingType = "absolute";
    @JsonProperty("use_cache") protected boolean useCache = true;
    @JsonProperty("classifier_dropout") protected Double classifierDropout;

    protected BertConfig() {
        modelType = MODEL_TYPE;
        padTokenId = 0; // BertConfig(pad_token_id=0)
    }

    /** bert-base-uncased's configuration. */
    public static BertConfig defaults() {
        return fromMap(Map.of(), BertConfig.class);
    }

    /** A config from config.json keys, e.g. {@code Map.of("hidden_size", 32, "num_hidden_layers", 2)}. */
    public static BertConfig of(Map<String, ?> values) {
        return fromMap(values, BertConfig.class);
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
    public int typeVocabSize() { return typeVocabSize; }
    public double layerNormEps() { return layerNormEps; }
    public String positionEmbeddingType() { return positionEmbeddingType; }
    public boolean useCache() { return useCache; }
    /** Dropout of the classification heads (null: hidden_dropout_prob). Inference ignores it. */
    public Double classifierDropout() { return classifierDropout; }

    @Override
    public float initializerRange() { return (float) initializerRange; }
}
