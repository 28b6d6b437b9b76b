package io.transformers4j.models.t5;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.IntNode;
import io.transformers4j.config.PretrainedConfig;

/**
 * T5's config.json. Port of {@code T5Config} (models/t5/configuration_t5.py), with Python's defaults (those of
 * google-t5/t5-small).
 *
 * <p>{@code feed_forward_proj} is {@code "{ACT}"} (original T5: "relu") or {@code "gated-{ACT}"} (T5 v1.1, flan-t5:
 * "gated-gelu"); Python derives {@code dense_act_fn} and {@code is_gated_act} from it, mapping "gated-gelu" to the
 * tanh-approximated "gelu_new" for backwards compatibility. Configs saved by Python also store those two derived
 * keys, and Python's base class then sets them over the derived values, so a stored value wins here too.
 */
public class T5Config extends PretrainedConfig {

    @JsonProperty("vocab_size") private int vocabSize = 32128;
    @JsonProperty("d_model") @JsonAlias("hidden_size") private int dModel = 512;
    @JsonProperty("d_kv") private int dKv = 64;
    @JsonProperty("d_ff") private int dFf = 2048;
    @JsonProperty("num_layers") @JsonAlias("num_hidden_layers") private int numLayers = 6;
    /** Null means num_layers (a symmetric model). */
    @JsonProperty("num_decoder_layers") private Integer numDecoderLayers;
    @JsonProperty("num_heads") @JsonAlias("num_attention_heads") private int numHeads = 8;
    @JsonProperty("relative_attention_num_buckets") private int relativeAttentionNumBuckets = 32;
    @JsonProperty("relative_attention_max_distance") private int relativeAttentionMaxDistance = 128;
    @JsonProperty("dropout_rate") private double dropoutRate = 0.1;
    @JsonProperty("classifier_dropout") private double classifierDropout = 0.0;
    @JsonProperty("layer_norm_epsilon") private double layerNormEpsilon = 1e-6;
    @JsonProperty("initializer_factor") private double initializerFactor = 1.0;
    @JsonProperty("feed_forward_proj") private String feedForwardProj = "relu";
    @JsonProperty("use_cache") private boolean useCache = true;
    /** Derived from feed_forward_proj unless config.json stores it. */
    @JsonProperty("dense_act_fn") private String denseActFn;
    /** Derived from feed_forward_proj unless config.json stores it. */
    @JsonProperty("is_gated_act") private Boolean isGatedAct;

    protected T5Config() {
        modelType = "t5";
        isEncoderDecoder = true;
        padTokenId = 0;
        eosTokenId = IntNode.valueOf(1);
    }

    @Override
    protected void postInit() {
        super.postInit();
        if (numDecoderLayers == null) {
            numDecoderLayers = numLayers;
        }
        String[] actInfo = feedForwardProj.split("-", -1);
        if ((actInfo.length > 1 && !actInfo[0].equals("gated")) || actInfo.length > 2) {
            throw new IllegalArgumentException("`feed_forward_proj`: " + feedForwardProj + " is not a valid activation "
                    + "function of the dense layer. Please make sure `feed_forward_proj` is of the format "
                    + "`gated-{ACT_FN}` or `{ACT_FN}`, e.g. 'gated-gelu' or 'relu'");
        }
        if (denseActFn == null) {
            // Python: "gated-gelu" means the tanh approximation, for backwards compatibility.
            denseActFn = feedForwardProj.equals("gated-gelu") ? "gelu_new" : actInfo[actInfo.length - 1];
        }
        if (isGatedAct == null) {
            isGatedAct = actInfo[0].equals("gated");
        }
    }

    public int vocabSize() { return vocabSize; }
    public int dModel() { return dModel; }
    public int dKv() { return dKv; }
    public int dFf() { return dFf; }
    public int numLayers() { return numLayers; }
    public int numDecoderLayers() { return numDecoderLayers; }
    public int numHeads() { return numHeads; }
    public int relativeAttentionNumBuckets() { return relativeAttentionNumBuckets; }
    public int relativeAttentionMaxDistance() { return relativeAttentionMaxDistance; }
    public double dropoutRate() { return dropoutRate; }
    public double classifierDropout() { return classifierDropout; }
    public double layerNormEpsilon() { return layerNormEpsilon; }
    public double initializerFactor() { return initializerFactor; }
    public String feedForwardProj() { return feedForwardProj; }
    public boolean useCache() { return useCache; }
    /** The activation of the feed-forward layer (an ACT2FN name). */
    public String denseActFn() { return denseActFn; }
    /** Whether the feed-forward layer is gated (wi_0, wi_1) rather than plain (wi). */
    public boolean isGatedAct() { return isGatedAct; }

    // Python's attribute_map: the generic names of the sizes.
    /** {@code d_model}. */
    public int hiddenSize() { return dModel; }
    /** {@code num_heads}. */
    public int numAttentionHeads() { return numHeads; }
    /** {@code num_layers}. */
    public int numHiddenLayers() { return numLayers; }

    /**
     * The std of normal initialisation for weights a checkpoint lacks. Python's T5 initialises each matrix with its
     * own Mesh-TensorFlow scale; one std derived from d_model is close enough for tensors that are then trained or
     * loaded.
     */
    @Override
    public float initializerRange() {
        return (float) (initializerFactor * Math.pow(dModel, -0.5));
    }
}
