package io.transformers4j.models.gpt2;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.node.IntNode;
import io.transformers4j.config.PretrainedConfig;

/**
 * GPT-2's config.json. Port of {@code GPT2Config} (models/gpt2/configuration_gpt2.py), with Python's defaults (those
 * of openai-community/gpt2).
 *
 * <p>GPT-2 names its sizes {@code n_embd}, {@code n_positions}, {@code n_head}, {@code n_layer}; Python's
 * {@code attribute_map} makes the generic names ({@code hidden_size}, ...) refer to the same fields. Here the file keeps
 * GPT-2's keys, the generic keys are accepted when reading, and both accessor names exist.
 */
public class GPT2Config extends PretrainedConfig {

    @JsonProperty("vocab_size") private int vocabSize = 50257;
    @JsonProperty("n_positions") @JsonAlias("max_position_embeddings") private int nPositions = 1024;
    @JsonProperty("n_embd") @JsonAlias("hidden_size") private int nEmbd = 768;
    @JsonProperty("n_layer") @JsonAlias("num_hidden_layers") private int nLayer = 12;
    @JsonProperty("n_head") @JsonAlias("num_attention_heads") private int nHead = 12;
    /** Size of the MLP's inner layer; null means 4 * n_embd. */
    @JsonProperty("n_inner") private Integer nInner;
    @JsonProperty("activation_function") private String activationFunction = "gelu_new";
    @JsonProperty("resid_pdrop") private double residPdrop = 0.1;
    @JsonProperty("embd_pdrop") private double embdPdrop = 0.1;
    @JsonProperty("attn_pdrop") private double attnPdrop = 0.1;
    @JsonProperty("layer_norm_epsilon") private double layerNormEpsilon = 1e-5;
    @JsonProperty("initializer_range") private double initializerRange = 0.02;
    // The summary_* fields configure GPT2DoubleHeadsModel's SequenceSummary; kept so config.json round-trips.
    @JsonProperty("summary_type") private String summaryType = "cls_index";
    @JsonProperty("summary_use_proj") private boolean summaryUseProj = true;
    @JsonProperty("summary_activation") private String summaryActivation;
    @JsonProperty("summary_proj_to_labels") private boolean summaryProjToLabels = true;
    @JsonProperty("summary_first_dropout") private double summaryFirstDropout = 0.1;
    @JsonProperty("scale_attn_weights") private boolean scaleAttnWeights = true;
    @JsonProperty("use_cache") private boolean useCache = true;
    @JsonProperty("scale_attn_by_inverse_layer_idx") private boolean scaleAttnByInverseLayerIdx = false;
    @JsonProperty("reorder_and_upcast_attn") private boolean reorderAndUpcastAttn = false;

    protected GPT2Config() {
        modelType = "gpt2";
        // Python: bos_token_id=50256, eos_token_id=50256 (<|endoftext|>).
        bosTokenId = 50256;
        eosTokenId = IntNode.valueOf(50256);
    }

    @Override
    protected void postInit() {
        super.postInit();
        if (nEmbd % nHead != 0) {
            throw new IllegalArgumentException("`embed_dim` must be divisible by num_heads (got `embed_dim`: " + nEmbd
                    + " and `num_heads`: " + nHead + ").");
        }
    }

    public int vocabSize() { return vocabSize; }
    public int nPositions() { return nPositions; }
    public int nEmbd() { return nEmbd; }
    public int nLayer() { return nLayer; }
    public int nHead() { return nHead; }
    public Integer nInner() { return nInner; }
    public String activationFunction() { return activationFunction; }
    public double residPdrop() { return residPdrop; }
    public double embdPdrop() { return embdPdrop; }
    public double attnPdrop() { return attnPdrop; }
    public double layerNormEpsilon() { return layerNormEpsilon; }
    @Override public float initializerRange() { return (float) initializerRange; }
    public String summaryType() { return summaryType; }
    public boolean summaryUseProj() { return summaryUseProj; }
    public String summaryActivation() { return summaryActivation; }
    public boolean summaryProjToLabels() { return summaryProjToLabels; }
    public double summaryFirstDropout() { return summaryFirstDropout; }
    public boolean scaleAttnWeights() { return scaleAttnWeights; }
    public boolean useCache() { return useCache; }
    public boolean scaleAttnByInverseLayerIdx() { return scaleAttnByInverseLayerIdx; }
    public boolean reorderAndUpcastAttn() { return reorderAndUpcastAttn; }

    // Python's attribute_map: the generic names of the four sizes.
    /** {@code n_embd}. */
    public int hiddenSize() { return nEmbd; }
    /** {@code n_positions}. */
    public int maxPositionEmbeddings() { return nPositions; }
    /** {@code n_head}. */
    public int numAttentionHeads() { return nHead; }
    /** {@code n_layer}. */
    public int numHiddenLayers() { return nLayer; }
}
