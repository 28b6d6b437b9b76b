package io.transformers4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.generation.Cache;
import io.transformers4j.generation.DynamicCache;
import io.transformers4j.generation.GenerationStepOutput;
import io.transformers4j.generation.ModelKwargs;
import io.transformers4j.generation.PastKeyValues;
import io.transformers4j.generation.StaticCache;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.outputs.CausalLMOutputWithPast;

/**
 * {@code prepare_inputs_for_generation} of the Llama family in 4.39 (Mistral, Persimmon and Llama carry copies of it):
 * keep only the tokens the cache lacks, crop the attention mask to a bounded cache's length (SinkCache), position ids
 * from the mask (cumsum - 1, 1 at pads), inputs_embeds on the first step only; Llama adds {@code cache_position}.
 */
public final class CausalLMGeneration {
    private CausalLMGeneration() {}

    /**
     * A causal LM's step for generate(): a Cache object passed in as {@code past_key_values} is the next step's cache
     * (updated in place; the output record holds only the legacy form), else the output's legacy cache.
     *
     * @param useCacheDefault the config's {@code use_cache}, for inputs that do not say
     */
    public static GenerationStepOutput stepOutput(ModelInputs inputs, CausalLMOutputWithPast out,
            boolean useCacheDefault) {
        Object past = inputs.get("past_key_values");
        Object next = past instanceof Cache && inputs.flag("use_cache", useCacheDefault) ? past : out.pastKeyValues();
        return new GenerationStepOutput(out.logits(), next, out.hiddenStates(), out.attentions(), null);
    }

    /**
     * The hidden states the LM head needs under {@code num_logits_to_keep} (Python from 4.45:
     * {@code self.lm_head(hidden_states[:, -num_logits_to_keep:, :])}): the last N positions, or all of them when the
     * argument is absent or 0. Each kept position's logits are those of the full pass to float rounding.
     *
     * @param hidden (batch, seq, hidden)
     * @throws IllegalArgumentException if num_logits_to_keep is not a non-negative integer
     */
    public static NDArray hiddenForLogits(NDArray hidden, ModelInputs inputs) {
        Object v = inputs.get("num_logits_to_keep");
        if (v == null) {
            return hidden;
        }
        if (!(v instanceof Integer || v instanceof Long) || ((Number) v).longValue() < 0) {
            throw new IllegalArgumentException("num_logits_to_keep must be a non-negative integer, got " + v);
        }
        long keep = ((Number) v).longValue();
        long seq = hidden.getShape().get(1);
        return keep == 0 || keep >= seq ? hidden : hidden.get(new NDIndex(":, {}:, :", seq - keep));
    }

    /**
     * Mistral's (and Persimmon's) version. With a StaticCache (which 4.39 supports for Llama only; this port lets
     * Mistral and Persimmon take one too) it is Llama's: the static cache is written at {@code cache_position}.
     */
    public static ModelInputs prepareInputsForGeneration(NDArray inputIds, ModelKwargs kwargs) {
        return prepare(inputIds, kwargs, kwargs.pastKeyValues() instanceof StaticCache);
    }

    /** Llama's version: past length from {@code cache_position} for a Cache, and {@code cache_position} passed on. */
    public static ModelInputs prepareInputsForGenerationWithCachePosition(NDArray inputIds, ModelKwargs kwargs) {
        return prepare(inputIds, kwargs, true);
    }

    private static ModelInputs prepare(NDArray inputIds, ModelKwargs kwargs, boolean withCachePosition) {
        Object past = kwargs.pastKeyValues();
        NDArray attentionMask = kwargs.attentionMask();
        NDArray cachePosition = withCachePosition ? kwargs.cachePosition() : null;
        long pastLength = 0;
        if (past != null) {
            long cacheLength;
            Integer maxCacheLength;
            if (past instanceof Cache c) {
                maxCacheLength = c.getMaxLength();
                if (withCachePosition) {
                    pastLength = cachePosition != null ? cachePosition.get(0).toType(DataType.INT64, false).getLong()
                            : c.getSeqLength();
                    cacheLength = maxCacheLength == null ? pastLength : Math.min(maxCacheLength, pastLength);
                } else {
                    cacheLength = c.getSeqLength();
                    pastLength = c.seenTokens();
                }
            } else {
                cacheLength = pastLength = PastKeyValues.seqLength(past);
                maxCacheLength = null;
            }
            long len = inputIds.getShape().get(1);
            // Keep only the unprocessed tokens: (1) a mask longer than input_ids (some inputs only live in the cache,
            // e.g. inputs_embeds), (2) input_ids holding every token, (3) otherwise they are all new already.
            if (attentionMask != null && attentionMask.getShape().get(1) > len) {
                inputIds = lastColumns(inputIds, attentionMask.getShape().get(1) - pastLength);
            } else if (pastLength < len) {
                inputIds = inputIds.get(new NDIndex(":, {}:", pastLength));
            }
            // about to go beyond a bounded cache: crop the mask to it
            if (maxCacheLength != null && attentionMask != null
                    && cacheLength + inputIds.getShape().get(1) > maxCacheLength) {
                attentionMask = lastColumns(attentionMask, maxCacheLength);
            }
        }
        NDArray positionIds = kwargs.positionIds();
        if (attentionMask != null && positionIds == null) {
            // create position_ids on the fly for batch generation
            positionIds = positionIdsFromMask(attentionMask);
            if (truthy(past)) {
                positionIds = positionIds.get(new NDIndex(":, {}:", -inputIds.getShape().get(1)));
            }
        }
        ModelInputs.Builder b = ModelInputs.builder();
        // inputs_embeds are only used in the first step
        if (kwargs.inputsEmbeds() != null && past == null) {
            b.inputsEmbeds(kwargs.inputsEmbeds());
        } else {
            b.inputIds(inputIds);
        }
        if (withCachePosition) {
            long inputLength = positionIds != null ? positionIds.getShape().get(positionIds.getShape().dimension() - 1)
                    : inputIds.getShape().get(1);
            cachePosition = cachePosition == null
                    ? inputIds.getManager().arange(pastLength, pastLength + inputLength, 1, DataType.INT64)
                    : lastColumns1d(cachePosition, inputLength);
            b.set("cache_position", cachePosition);
        }
        return b.positionIds(positionIds).set("past_key_values", past).useCache(kwargs.useCache())
                .attentionMask(attentionMask).build();
    }

    /** {@code attention_mask.long().cumsum(-1) - 1} with {@code masked_fill_(attention_mask == 0, 1)}. */
    public static NDArray positionIdsFromMask(NDArray attentionMask) {
        NDArray mask = attentionMask.toType(DataType.INT64, false);
        NDArray isPad = mask.eq(0).toType(DataType.INT64, false);
        return mask.cumSum(1).sub(1).mul(isPad.neg().add(1)).add(isPad);
    }

    /** Python's truth value of past_key_values: a non-empty legacy tuple, a DynamicCache with layers, any other Cache. */
    static boolean truthy(Object past) {
        if (past == null) {
            return false;
        }
        if (past instanceof DynamicCache d) {
            return d.size() > 0;
        }
        if (past instanceof Cache) {
            return true;
        }
        return PastKeyValues.legacy(past, "past_key_values").size() > 0;
    }

    /** Python's {@code x[:, -n:]} (n = 0 or n beyond the length: all columns). */
    private static NDArray lastColumns(NDArray x, long n) {
        long len = x.getShape().get(1);
        return n <= 0 || n >= len ? x : x.get(new NDIndex(":, {}:", len - n));
    }

    private static NDArray lastColumns1d(NDArray x, long n) {
        long len = x.getShape().get(0);
        return n <= 0 || n >= len ? x : x.get(new NDIndex("{}:", len - n));
    }
}
