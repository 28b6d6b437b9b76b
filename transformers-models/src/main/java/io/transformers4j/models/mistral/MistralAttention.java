package io.transformers4j.models.mistral;

import ai.djl.ndarray.NDArray;
import io.transformers4j.models.LegacyCache;
import io.transformers4j.nn.EagerAttention;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.RotaryEmbedding;
import io.transformers4j.nn.SdpaAttention;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
import io.transformers4j.weights.Weights;

/**
 * Port of {@code MistralAttention} (eager, when attention probabilities are asked for) and
 * {@code MistralSdpaAttention} (otherwise): rotary multi-head attention with grouped-query key/value heads. The
 * sliding window lives in the mask ({@link MistralModel}); the cache keeps every key (Python's DynamicCache does not
 * truncate to the window).
 */
final class MistralAttention {

    /** The attention output (batch, seq, hidden) and, when asked for, its weights (batch, heads, seq, keys). */
    record Result(NDArray output, NDArray weights) {}

    private final int layerIdx;
    private final int hiddenSize;
    private final int numHeads;
    private final int headDim;
    private final int numKeyValueHeads;
    private final int numKeyValueGroups;
    private final Linear qProj; // (heads * head_dim, hidden)
    private final Linear kProj; // (kv_heads * head_dim, hidden)
    private final Linear vProj; // (kv_heads * head_dim, hidden)
    private final Linear oProj; // (hidden, heads * head_dim)
    /** Only for a SinkCache's tables of positions [0, kv_seq_len); the model computes the per-token tables. */
    private final MistralRotaryEmbedding rotaryEmb;

    MistralAttention(MistralConfig config, Weights w, int layerIdx) {
        this.layerIdx = layerIdx;
        this.hiddenSize = config.hiddenSize();
        this.numHeads = config.numAttentionHeads();
        this.headDim = hiddenSize / numHeads;
        this.numKeyValueHeads = config.numKeyValueHeads();
        this.numKeyValueGroups = numHeads / numKeyValueHeads;
        this.qProj = new Linear(w.prefix("q_proj"), hiddenSize, (long) numHeads * headDim, false);
        this.kProj = new Linear(w.prefix("k_proj"), hiddenSize, (long) numKeyValueHeads * headDim, false);
        this.vProj = new Linear(w.prefix("v_proj"), hiddenSize, (long) numKeyValueHeads * headDim, false);
        this.oProj = new Linear(w.prefix("o_proj"), (long) numHeads * headDim, hiddenSize, false);
        this.rotaryEmb = new MistralRotaryEmbedding(headDim, config.ropeTheta());
    }

    /** q, k, v and o weights, for the fused decoding step (Mistral's projections have no biases). */
    NDArray[] projectionWeights() {
        return new NDArray[] {qProj.weight, kProj.weight, vProj.weight, oProj.weight};
    }

    int numHeads() {
        return numHeads;
    }

    int numKeyValueHeads() {
        return numKeyValueHeads;
    }

    /**
     * @param hiddenStates (B, T, hidden)
     * @param attentionMask additive (B or 1, 1, T, P + T), or null
     * @param cosSin the rotary {cos, sin} tables of this forward's positions, each (B or 1, 1, T, hd) (Python's
     *     {@code self.rotary_emb(value_states, seq_len)} indexed by position_ids; the same for every layer, so
     *     {@link MistralModel} computes them once)
     * @param cache the layer caches of this forward (keys/values appended here), or null
     */
    Result forward(NDArray hiddenStates, NDArray attentionMask, NDArray[] cosSin, LegacyCache cache,
            boolean outputAttentions) {
        long bsz = hiddenStates.getShape().get(0);
        long qLen = hiddenStates.getShape().get(1);

        NDArray queryStates = qProj.forward(hiddenStates).reshape(bsz, qLen, numHeads, headDim).transpose(0, 2, 1, 3);
        NDArray keyStates = kProj.forward(hiddenStates).reshape(bsz, qLen, numKeyValueHeads, headDim)
                .transpose(0, 2, 1, 3);   // (B, kvh, T, hd)
        NDArray valueStates = vProj.forward(hiddenStates).reshape(bsz, qLen, numKeyValueHeads, headDim)
                .transpose(0, 2, 1, 3);   // (B, kvh, T, hd)

        queryStates = RotaryEmbedding.applyRotaryPosEmb(queryStates, cosSin[0], cosSin[1]); // (B, nh, T, hd)
        keyStates = RotaryEmbedding.applyRotaryPosEmb(keyStates, cosSin[0], cosSin[1]);

        if (cache != null) {
            // Python hands a Cache the rotary tables of positions [0, kv_seq_len): a SinkCache re-rotates the keys it
            // keeps with them
            NDArray newValues = valueStates; // the tables take its dtype and manager
            NDArray[] kv = cache.updateRotary(keyStates, valueStates, layerIdx,
                    positions -> rotaryEmb.forward(newValues, positions), null);
            keyStates = kv[0];   // (B, kvh, P + T, hd)
            valueStates = kv[1];
        }
        if (!outputAttentions) {
            // Python's default attention (MistralSdpaAttention): the fused kernel, same numbers to float rounding,
            // no (B, nh, T, S) probabilities and, for one new token, no repeat_kv copy of the cache.
            NDArray attnOutput = SdpaAttention.attention(queryStates, keyStates, valueStates, attentionMask);
            attnOutput = attnOutput.transpose(0, 2, 1, 3).reshape(bsz, qLen, hiddenSize); // (B, T, hidden)
            return new Result(oProj.forward(attnOutput), null);
        }
        keyStates = EagerAttention.repeatKv(keyStates, numKeyValueGroups);     // (B, nh, S, hd)
        valueStates = EagerAttention.repeatKv(valueStates, numKeyValueGroups); // (B, nh, S, hd)

        NDArray attnWeights = queryStates.matMul(keyStates.transpose(0, 1, 3, 2))
                .div((float) Math.sqrt(headDim));                               // (B, nh, T, S)
        if (attentionMask != null) {
            attnWeights = attnWeights.add(attentionMask);
        }
        DType dtype = TorchOps.dtypeOf(queryStates); // DJL cannot name bfloat16
        attnWeights = EagerAttention.softmaxInFloat32(attnWeights, dtype);
        NDArray attnOutput = attnWeights.matMul(valueStates);                  // (B, nh, T, hd)
        attnOutput = attnOutput.transpose(0, 2, 1, 3).reshape(bsz, qLen, hiddenSize);
        attnOutput = oProj.forward(attnOutput);
        return new Result(attnOutput, attnWeights);
    }
}
