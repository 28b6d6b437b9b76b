package io.transformers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.nn.Embedding;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;

/**
 * T5's multi-head attention (self-attention, or attention over the encoder output), eager. Port of
 * {@code T5Attention} (models/t5/modeling_t5.py); LongT5's decoder uses the same layer (Python: {@code # Copied
 * from}).
 *
 * <p>Three things set it apart from BERT-style attention: the scores are NOT divided by sqrt(d_kv) (Mesh TensorFlow
 * folds that scale into the initialisation of q); positions enter only as a learned bias per head and relative
 * position bucket, added to the scores (only the first layer of a stack owns the bias table, and every layer reuses
 * the bias it computed); and the projections have no biases.
 */
public final class T5Attention {

    private final boolean isDecoder;
    private final boolean hasRelativeAttentionBias;
    private final int numBuckets;
    private final int maxDistance;
    private final int nHeads;
    private final int dKv;
    private final Linear q; // (nh * d_kv, d_model)
    private final Linear k; // (nh * d_kv, d_model)
    private final Linear v; // (nh * d_kv, d_model)
    private final Linear o; // (d_model, nh * d_kv)
    private final Embedding relativeAttentionBias; // (num_buckets, nh), first layer only

    /**
     * What one call returns: the projected output (B, T, d_model); the updated {key, value} (decoder with use_cache,
     * else null); the position bias used, mask included, for the next layers to reuse; the attention weights (or
     * null).
     */
    public record Result(NDArray output, NDArray[] present, NDArray positionBias, NDArray weights) {}

    /**
     * @param w the view of {@code SelfAttention} / {@code EncDecAttention}
     * @param isDecoder whether this attention belongs to the decoder: its relative positions are causal (one-sided)
     *     and it returns its keys/values for the cache
     */
    public T5Attention(Weights w, int dModel, int dKv, int nHeads, boolean isDecoder, boolean hasRelativeAttentionBias,
            int numBuckets, int maxDistance) {
        this.isDecoder = isDecoder;
        this.hasRelativeAttentionBias = hasRelativeAttentionBias;
        this.numBuckets = numBuckets;
        this.maxDistance = maxDistance;
        this.nHeads = nHeads;
        this.dKv = dKv;
        long inner = (long) nHeads * dKv;
        this.q = new Linear(w.prefix("q"), dModel, inner, false);
        this.k = new Linear(w.prefix("k"), dModel, inner, false);
        this.v = new Linear(w.prefix("v"), dModel, inner, false);
        this.o = new Linear(w.prefix("o"), inner, dModel, false);
        this.relativeAttentionBias = hasRelativeAttentionBias
                ? new Embedding(w.prefix("relative_attention_bias"), numBuckets, nHeads) : null;
    }

    /**
     * Python's {@code _relative_position_bucket} (from Mesh TensorFlow): maps memory_position - query_position to a
     * bucket in [0, numBuckets). Half of the buckets (per direction when bidirectional) hold exact distances, the rest
     * grow logarithmically up to {@code maxDistance}; farther distances share the last bucket. Unidirectional
     * (decoder) buckets only distinguish keys at or before the query; later ones fall in bucket 0. The float32 log
     * arithmetic is Python's, op for op, so bucket borders fall where the reference puts them.
     *
     * @param relativePosition int64 tensor of memory - query positions
     */
    public static NDArray relativePositionBucket(NDArray relativePosition, boolean bidirectional, int numBuckets,
            int maxDistance) {
        NDArray buckets;
        NDArray rp;
        if (bidirectional) {
            numBuckets /= 2;
            buckets = relativePosition.gt(0).toType(DataType.INT64, false).mul(numBuckets);
            rp = relativePosition.abs();
        } else {
            buckets = relativePosition.zerosLike();
            rp = relativePosition.minimum(0).neg();
        }
        // now rp is in [0, inf)
        int maxExact = numBuckets / 2;
        NDArray isSmall = rp.lt(maxExact);
        NDArray ifLarge = rp.toType(DataType.FLOAT32, false).div((float) maxExact).log()
                .div((float) Math.log((double) maxDistance / maxExact)).mul((float) (numBuckets - maxExact))
                .toType(DataType.INT64, false).add(maxExact);
        ifLarge = ifLarge.minimum(numBuckets - 1);
        // rp = 0 gives log(0) = -inf in ifLarge; `where` picks rp there, as in Python.
        return buckets.add(NDArrays.where(isSmall, rp, ifLarge));
    }

    /** Python's {@code compute_bias}: the bias (1, nh, queryLength, keyLength) of every query/key position pair. */
    NDArray computeBias(NDManager m, long queryLength, long keyLength) {
        NDArray context = m.arange(0, queryLength, 1, DataType.INT64).reshape(queryLength, 1);
        NDArray memory = m.arange(0, keyLength, 1, DataType.INT64).reshape(1, keyLength);
        NDArray relativePosition = memory.sub(context); // (Tq, Tk)
        NDArray bucket = relativePositionBucket(relativePosition, !isDecoder, numBuckets, maxDistance);
        NDArray values = relativeAttentionBias.forward(bucket); // (Tq, Tk, nh)
        return values.transpose(2, 0, 1).expandDims(0);       // (1, nh, Tq, Tk)
    }

    /**
     * @param hidden (B, T, d_model), already layer-normed
     * @param mask additive mask broadcastable to (B, nh, T, S), or null; only used when positionBias is null
     * @param keyValueStates the encoder output (B, S, d_model) for cross-attention, else null
     * @param positionBias the bias an earlier layer computed (mask included), or null to compute it here
     * @param pastKeyValue {key, value} (B, nh, P, d_kv) of earlier steps, or null
     * @param layerHeadMask multiplies the weights, broadcastable to (B, nh, T, S), or null
     * @param queryLength for cross-attention with a cache: the self-attention's key length, else null
     */
    public Result forward(NDArray hidden, NDArray mask, NDArray keyValueStates, NDArray positionBias,
            NDArray[] pastKeyValue, NDArray layerHeadMask, Long queryLength, boolean useCache,
            boolean outputAttentions) {
        long batch = hidden.getShape().get(0);
        long seqLength = hidden.getShape().get(1);
        long realSeqLength = seqLength;
        if (pastKeyValue != null) {
            if (pastKeyValue.length != 2) {
                throw new IllegalArgumentException("past_key_value should have 2 past states: keys and values. Got "
                        + pastKeyValue.length + " past states");
            }
            realSeqLength += queryLength == null ? pastKeyValue[0].getShape().get(2) : queryLength;
        }
        long keyLength = keyValueStates == null ? realSeqLength : keyValueStates.getShape().get(1);

        NDArray query = shape(q.forward(hidden), batch); // (B, nh, T, d_kv)
        NDArray key = project(hidden, k, keyValueStates, pastKeyValue == null ? null : pastKeyValue[0], batch);
        NDArray value = project(hidden, v, keyValueStates, pastKeyValue == null ? null : pastKeyValue[1], batch);

        NDArray scores = query.matMul(key.transpose(0, 1, 3, 2)); // (B, nh, T, S): no 1/sqrt(d_kv), see class doc

        if (positionBias == null) {
            if (!hasRelativeAttentionBias) {
                positionBias = hidden.getManager().zeros(new Shape(1, nHeads, realSeqLength, keyLength),
                        scores.getDataType());
            } else {
                positionBias = computeBias(hidden.getManager(), realSeqLength, keyLength).toType(scores.getDataType(),
                        false);
            }
            if (pastKeyValue != null) {
                // keys/values of earlier steps are cached: keep the bias rows of the new queries only
                long rows = positionBias.getShape().get(2);
                positionBias = positionBias.get(":, :, {}:, :", rows - seqLength);
            }
            if (mask != null) {
                positionBias = positionBias.add(mask); // (B, nh, T, S)
            }
        }
        scores = scores.add(positionBias);
        NDArray weights = scores.toType(DataType.FLOAT32, false).softmax(-1).toType(scores.getDataType(), false);
        if (layerHeadMask != null) {
            weights = weights.mul(layerHeadMask);
        }
        NDArray output = unshape(weights.matMul(value), batch); // (B, T, nh * d_kv)
        output = o.forward(output);                             // (B, T, d_model)
        NDArray[] present = isDecoder && useCache ? new NDArray[] {key, value} : null;
        return new Result(output, present, positionBias, outputAttentions ? weights : null);
    }

    /** Keys or values: projected from this layer's input, from the encoder output, or taken from the cache. */
    private NDArray project(NDArray hidden, Linear proj, NDArray keyValueStates, NDArray past, long batch) {
        NDArray states = null;
        if (keyValueStates == null) {
            states = shape(proj.forward(hidden), batch); // self-attention: (B, nh, T, d_kv)
        } else if (past == null) {
            states = shape(proj.forward(keyValueStates), batch); // cross-attention: (B, nh, S, d_kv)
        }
        if (past != null) {
            if (keyValueStates == null) {
                // the cache first, so the concatenation lands in the cache's (the caller's) manager
                states = NDArrays.concat(new NDList(past, states), 2); // (B, nh, P + T, d_kv)
            } else if (past.getShape().get(2) != keyValueStates.getShape().get(1)) {
                // a cache of another length than the encoder output (prefix tuning): recompute
                states = shape(proj.forward(keyValueStates), batch);
            } else {
                states = past; // cross-attention keys/values do not change between steps
            }
        }
        return states;
    }

    /** (B, T, nh * d_kv) -> (B, nh, T, d_kv). */
    private NDArray shape(NDArray x, long batch) {
        return x.reshape(batch, -1, nHeads, dKv).transpose(0, 2, 1, 3);
    }

    /** (B, nh, T, d_kv) -> (B, T, nh * d_kv). */
    private NDArray unshape(NDArray x, long batch) {
        return x.transpose(0, 2, 1, 3).reshape(batch, -1, (long) nHeads * dKv);
    }
}
