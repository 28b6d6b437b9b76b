package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import io.transformers4j.modeling.ModelInputs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Drafts candidates with a smaller assistant model (assisted generation, speculative decoding). Port of Python's
 * {@code AssistedCandidateGenerator}: the assistant greedily (or by its own config) generates up to
 * {@code num_assistant_tokens} tokens, keeping its cache between rounds (cropped to what the main model accepted);
 * with the "heuristic" schedule the number grows by 2 after a round where all were accepted and shrinks by 1 otherwise.
 */
public final class AssistedCandidateGenerator implements CandidateGenerator {
    private final GenerationModel assistantModel;
    private final GenerationConfig generationConfig;
    private final LogitsProcessorList logitsProcessor;
    private final String inputIdsKey;
    private final String attentionKey;
    private final Map<String, Object> assistantKwargs = new LinkedHashMap<>();
    private double numAssistantTokens;

    /**
     * @param inputIds the prompt (main model's input_ids / decoder_input_ids)
     * @param generationConfig the main call's generation config (its max_length bounds the drafts)
     * @param logitsProcessor the caller's custom processors, given to the assistant's generate()
     * @param modelKwargs the main call's model kwargs, the base of the assistant's
     * @param inputsTensor the encoder input of an encoder-decoder (encoded once with the assistant's encoder)
     */
    public AssistedCandidateGenerator(NDArray inputIds, GenerationModel assistantModel,
            GenerationConfig generationConfig, LogitsProcessorList logitsProcessor, ModelKwargs modelKwargs,
            NDArray inputsTensor) {
        if (assistantModel == null) {
            throw new IllegalArgumentException("assisted generation needs an `assistant_model`");
        }
        this.assistantModel = assistantModel;
        this.numAssistantTokens = assistantModel.generationConfig().numAssistantTokens();
        // the assistant starts from copies of the main call's kwargs (its attention mask, token types, other
        // inputs): the main loop replaces and closes its own
        modelKwargs.expandableTensors().forEach((k, v) -> putTensor(k, v.duplicate()));
        assistantKwargs.put("use_cache", modelKwargs.useCache());
        assistantKwargs.put("output_attentions", modelKwargs.outputAttentions());
        assistantKwargs.put("output_hidden_states", modelKwargs.outputHiddenStates());
        if (modelKwargs.pastKeyValues() != null) {
            assistantKwargs.put("past_key_values", modelKwargs.pastKeyValues());
        }
        if (assistantModel.isEncoderDecoder()) {
            if (inputsTensor == null) {
                throw new IllegalArgumentException("an encoder-decoder assistant needs the encoder inputs");
            }
            ModelInputs.Builder b = ModelInputs.builder().set(assistantModel.mainInputName(), inputsTensor)
                    .set("attention_mask", modelKwargs.attentionMask())
                    .set("output_attentions", false).set("output_hidden_states", false);
            assistantKwargs.put("encoder_outputs", assistantModel.encode(b.build()));
            this.inputIdsKey = "decoder_input_ids";
            this.attentionKey = "decoder_attention_mask";
        } else if (modelKwargs.encoderOutputs() != null) {
            throw new UnsupportedOperationException("a decoder-only assistant for an encoder-decoder model "
                    + "(DistilWhisper-style) is not supported");
        } else {
            this.inputIdsKey = "input_ids";
            this.attentionKey = "attention_mask";
        }
        this.logitsProcessor = logitsProcessor;
        // the assistant returns its scores (the candidates' logits) and cache
        this.generationConfig = generationConfig.withAdjusted("return_dict_in_generate", true)
                .withAdjusted("output_scores", true);
    }

    /** The current number of tokens drafted per round (Python's float {@code num_assistant_tokens}). */
    public double numAssistantTokens() {
        return numAssistantTokens;
    }

    public GenerationModel assistantModel() {
        return assistantModel;
    }

    @Override
    public Candidates getCandidates(NDArray inputIds) {
        // at most max_length - 1 tokens: the main model adds one of its own
        int newCurLen = (int) inputIds.getShape().get(1);
        int maxNewTokens = Math.min((int) numAssistantTokens, generationConfig.maxLength() - newCurLen - 1);
        if (maxNewTokens == 0) {
            return new Candidates(inputIds, null);
        }
        // 1. after the first round: crop the assistant's cache to the accepted tokens (minus the main model's last)
        Object past = assistantKwargs.get("past_key_values");
        if (past != null) {
            int newCacheSize = newCurLen - 1;
            Object cropped = PastKeyValues.crop(past, newCacheSize - 1, assistantModel.isEncoderDecoder());
            PastKeyValues.closeReplaced(past, cropped);
            assistantKwargs.put("past_key_values", cropped);
            resizeColumns(attentionKey, newCurLen, true);
            resizeColumns("token_type_ids", newCurLen, false);
        }
        // 2. draft the next tokens
        GenerateArgs.Builder call = GenerateArgs.builder().generationConfig(generationConfig)
                .logitsProcessor(logitsProcessor).set(inputIdsKey, inputIds).set("max_new_tokens", maxNewTokens);
        assistantKwargs.forEach(call::set);
        GenerateOutput out = assistantModel.generate(call.build());
        // 3. keep the cache for the next round
        Object previous = assistantKwargs.get("past_key_values");
        if (previous != null) {
            PastKeyValues.closeReplaced(previous, null);
        }
        if (out.pastKeyValues() != null) {
            assistantKwargs.put("past_key_values", out.pastKeyValues());
        } else {
            assistantKwargs.remove("past_key_values");
        }
        // 4. candidate logits (batch, candidates, vocab) and ids
        List<NDArray> scores = out.scores();
        NDArray candidateLogits = NDArrays.stack(new NDList(scores.toArray(new NDArray[0])), 1);
        scores.forEach(NDArray::close);
        return new Candidates(out.sequences(), candidateLogits);
    }

    @Override
    public void updateCandidateStrategy(NDArray inputIds, NDArray scores, int numMatches) {
        String schedule = assistantModel.generationConfig().numAssistantTokensSchedule();
        if (schedule.equals("heuristic") || schedule.equals("heuristic_transient")) {
            if (numMatches == (int) numAssistantTokens) {
                numAssistantTokens += 2.0;
            } else {
                numAssistantTokens = Math.max(1.0, numAssistantTokens - 1.0);
            }
        }
    }

    /**
     * Python's {@code _prepare_attention_mask} / {@code _prepare_token_type_ids}: crops or extends a (batch, len)
     * kwarg to {@code newLength} columns (ones for a mask, the last type for token types).
     */
    private void resizeColumns(String key, int newLength, boolean ones) {
        Object v = assistantKwargs.get(key);
        if (!(v instanceof NDArray a)) {
            return;
        }
        NDArray resized = AssistedDecoding.resizeColumns(a, newLength, ones);
        if (resized != a) {
            putTensor(key, resized);
        }
    }

    /** Stores a tensor the assistant's kwargs keep across rounds (out of the step's scope), closing the one replaced. */
    private void putTensor(String key, NDArray value) {
        ai.djl.ndarray.NDScope.unregister(value);
        Object old = assistantKwargs.put(key, value);
        if (old instanceof NDArray o && o != value) {
            o.close();
        }
    }
}
