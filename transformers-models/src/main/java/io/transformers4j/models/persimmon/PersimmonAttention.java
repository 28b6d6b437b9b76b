package io.transformers4j.models.persimmon;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import io.transformers4j.models.LegacyCache;
import io.transformers4j.nn.EagerAttention;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.RotaryEmbedding;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
import io.transformers4j.weights.Weights;

/**
 * Port of {@code PersimmonAttention}: one fused query/key/value projection, LayerNorm of each query and key head
 * (qk_layernorm), and rotary embeddings on the first {@code rotary_dim} dimensions of each head only.
 */
final class PersimmonAttention {

    /** The attention output (batch, seq, hidden) and, when asked for, its weights (batch, heads, seq, keys). */
    record Result(NDArray output, NDArray weights) {}

    private final int layerIdx;
    private final int hiddenSize;
    private final int numHeads;
    private final int headDim;
    private final Linear queryKeyValue; // (3 * hidden, hidden) + bias
    private final Linear dense;         // (hidden, hidden) + bias
    private final LayerNorm qLayernorm; // over head_dim, or null
    private final LayerNorm kLayernorm;
    private final PersimmonRotaryEmbedding rotaryEmb;

    PersimmonAttention(PersimmonConfig config, Weights w, int layerIdx) {
        this.layerIdx = layerIdx;
        this.hiddenSize = config.hiddenSize();
        this.numHeads = config.numAttentionHeads();
        this.headDim = hiddenSize / numHeads;
        this.queryKeyValue = new Linear(w.prefix("query_key_value"), hiddenSize, 3L * hiddenSize, true);
        this.dense = new Linear(w.prefix("dense"), (long) numHeads * headDim, hiddenSize, true);
        if (config.qkLayernorm()) {
            this.qLayernorm = new LayerNorm(w.prefix("q_layernorm"), headDim, config.layerNormEps());
            this.kLayernorm = new LayerNorm(w.prefix("k_layernorm"), headDim, config.layerNormEps());
        } else {
            this.qLayernorm = null;
            this.kLayernorm = null;
        }
        this.rotaryEmb = new PersimmonRotaryEmbedding(config.rotaryDim(), config.maxPositionEmbeddings(),
                config.ropeTheta(), config.ropeScalingType(), config.ropeScalingFactor());
    }

    /**
     * @param hiddenStates (B, T, hidden)
     * @param attentionMask additive (B or 1, 1, T, P + T), or null
     * @param positionIds (B or 1, T) int64
     * @param kvSeqLen Python's kv_seq_len: the usable cached length + T (for a StaticCache, the last position
     *     written + 1); it sizes the dynamic-NTK rotary tables and a SinkCache's re-rotation tables
     * @param cache the layer caches of this forward (keys/values appended here), or null
     */
    Result forward(NDArray hiddenStates, NDArray attentionMask, NDArray positionIds, long kvSeqLen, LegacyCache cache,
            boolean outputAttentions) {
        long bsz = hiddenStates.getShape().get(0);
        long qLen = hiddenStates.getShape().get(1);

        // _split_heads: (B, T, 3 * hidden) viewed as (B, T, nh, 3, hd), i.e. q, k, v interleaved per head.
        NDArray fusedQkv = queryKeyValue.forward(hiddenStates).reshape(bsz, qLen, numHeads, 3, headDim);
        NDArray queryStates = fusedQkv.get(new NDIndex(":, :, :, 0, :")); // (B, T, nh, hd)
        NDArray keyStates = fusedQkv.get(new NDIndex(":, :, :, 1, :"));
        NDArray valueStates = fusedQkv.get(new NDIndex(":, :, :, 2, :"));

        if (qLayernorm != null) {
            queryStates = qLayernorm.forward(queryStates);
            keyStates = kLayernorm.forward(keyStates);
        }
        queryStates = queryStates.transpose(0, 2, 1, 3); // (B, nh, T, hd)
        valueStates = valueStates.transpose(0, 2, 1, 3);
        keyStates = keyStates.transpose(0, 2, 1, 3);

        NDArray[] cosSin = rotaryEmb.forward(valueStates, positionIds, kvSeqLen);

        // Partial rotary embedding: rotate the first rotary_dim dimensions, pass the rest through.
        int rot = rotaryEmb.dim();
        NDArray queryRot = RotaryEmbedding.applyRotaryPosEmb(queryStates.get(new NDIndex("..., :{}", rot)),
                cosSin[0], cosSin[1]);
        NDArray keyRot = RotaryEmbedding.applyRotaryPosEmb(keyStates.get(new NDIndex("..., :{}", rot)),
                cosSin[0], cosSin[1]);
        queryStates = NDArrays.concat(new NDList(queryRot, queryStates.get(new NDIndex("..., {}:", rot))), 3);
        keyStates = NDArrays.concat(new NDList(keyRot, keyStates.get(new NDIndex("..., {}:", rot))), 3);

        if (cache != null) {
            // Python: cache_kwargs = {"sin", "cos", "partial_rotation_size": rotary_emb.dim}, the rotary tables of
            // positions [0, kv_seq_len): a SinkCache re-rotates the first rotary_dim dimensions of the keys it keeps
            // with them and passes the rest through
            NDArray newValues = valueStates; // the tables take its dtype and manager
            NDArray[] kv = cache.updateRotary(keyStates, valueStates, layerIdx,
                    positions -> rotaryEmb.forward(newValues, positions, positions.getShape().get(1)), rot);
            keyStates = kv[0];   // (B, nh, P + T, hd)
            valueStates = kv[1];
        }

        NDArray attnWeights = queryStates.matMul(keyStates.transpose(0, 1, 3, 2))
                .div((float) Math.sqrt(headDim));                               // (B, nh, T, S)
        if (attentionMask != null) {
            attnWeights = attnWeights.add(attentionMask);
        }
        DType dtype = TorchOps.dtypeOf(queryStates); // DJL cannot name bfloat16
        attnWeights = EagerAttention.softmaxInFloat32(attnWeights, dtype);
        NDArray attnOutput = attnWeights.matMul(valueStates);                  // (B, nh, T, hd)
        attnOutput = attnOutput.transpose(0, 2, 1, 3).reshape(bsz, qLen, hiddenSize);
        attnOutput = dense.forward(attnOutput);
        return new Result(attnOutput, outputAttentions ? attnWeights : null);
    }
}
