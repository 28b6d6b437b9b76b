package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the processor, warper and stopping-criteria lists generate() uses, from a {@link GenerationConfig}, in
 * exactly Python's order ({@code GenerationMixin._get_logits_processor}, {@code _get_logits_warper},
 * {@code _get_stopping_criteria}, {@code _merge_criteria_processor_list}), plus the constraint list of constrained
 * beam search.
 */
public final class GenerationProcessors {
    private GenerationProcessors() {}

    /** The inputs of {@code _get_logits_processor} besides the config; null fields are Python's None. */
    public record ProcessorInputs(int inputIdsSeqLength, NDArray encoderInputIds,
            PrefixConstrainedLogitsProcessor.PrefixAllowedTokensFn prefixAllowedTokensFn,
            LogitsProcessorList logitsProcessor, boolean useCache,
            UnbatchedClassifierFreeGuidanceLogitsProcessor.Model model, NDArray negativePromptIds,
            NDArray negativePromptAttentionMask) {

        public static ProcessorInputs of(int inputIdsSeqLength, NDArray encoderInputIds) {
            return new ProcessorInputs(inputIdsSeqLength, encoderInputIds, null, null, true, null, null, null);
        }

        public ProcessorInputs withPrefixAllowedTokensFn(PrefixConstrainedLogitsProcessor.PrefixAllowedTokensFn fn) {
            return new ProcessorInputs(inputIdsSeqLength, encoderInputIds, fn, logitsProcessor, useCache, model,
                    negativePromptIds, negativePromptAttentionMask);
        }

        public ProcessorInputs withLogitsProcessor(LogitsProcessorList custom) {
            return new ProcessorInputs(inputIdsSeqLength, encoderInputIds, prefixAllowedTokensFn, custom, useCache,
                    model, negativePromptIds, negativePromptAttentionMask);
        }

        public ProcessorInputs withGuidanceModel(UnbatchedClassifierFreeGuidanceLogitsProcessor.Model m,
                NDArray negativeIds, NDArray negativeMask, boolean cache) {
            return new ProcessorInputs(inputIdsSeqLength, encoderInputIds, prefixAllowedTokensFn, logitsProcessor,
                    cache, m, negativeIds, negativeMask);
        }
    }

    /** Python's {@code _get_logits_processor}. */
    public static LogitsProcessorList getLogitsProcessor(GenerationConfig config, ProcessorInputs in) {
        LogitsProcessorList processors = new LogitsProcessorList();
        Double guidance = config.guidanceScale();
        if (guidance != null && guidance != 1) {
            if (in.model() == null) {
                throw new IllegalArgumentException("`guidance_scale` needs the model to compute the unconditional "
                        + "logits (UnbatchedClassifierFreeGuidanceLogitsProcessor)");
            }
            processors.add(new UnbatchedClassifierFreeGuidanceLogitsProcessor(guidance, in.model(),
                    in.negativePromptIds(), in.negativePromptAttentionMask(), in.useCache()));
        }
        if (config.sequenceBias() != null) {
            processors.add(new SequenceBiasLogitsProcessor(config.sequenceBias()));
        }
        Double diversity = config.diversityPenalty();
        if (diversity != null && diversity > 0.0) {
            processors.add(new HammingDiversityLogitsProcessor(diversity, config.numBeams(), config.numBeamGroups()));
        }
        Double encRep = config.encoderRepetitionPenalty();
        if (encRep != null && encRep != 1.0) {
            processors.add(new EncoderRepetitionPenaltyLogitsProcessor(encRep, requireEncoderIds(in)));
        }
        Double rep = config.repetitionPenalty();
        if (rep != null && rep != 1.0) {
            processors.add(new RepetitionPenaltyLogitsProcessor(rep));
        }
        Integer ngram = config.noRepeatNgramSize();
        if (ngram != null && ngram > 0) {
            processors.add(new NoRepeatNGramLogitsProcessor(ngram));
        }
        Integer encNgram = config.encoderNoRepeatNgramSize();
        if (encNgram != null && encNgram > 0) {
            processors.add(new EncoderNoRepeatNGramLogitsProcessor(encNgram, requireEncoderIds(in)));
        }
        if (config.badWordsIds() != null) {
            processors.add(new NoBadWordsLogitsProcessor(config.badWordsIds(), config.eosTokenId()));
        }
        Integer minLength = config.minLength();
        if (minLength != null && config.eosTokenId() != null && minLength > 0) {
            processors.add(new MinLengthLogitsProcessor(minLength, config.eosTokenId()));
        }
        Integer minNew = config.minNewTokens();
        if (minNew != null && config.eosTokenId() != null && minNew > 0) {
            processors.add(new MinNewTokensLengthLogitsProcessor(in.inputIdsSeqLength(), minNew, config.eosTokenId()));
        }
        if (in.prefixAllowedTokensFn() != null) {
            processors.add(new PrefixConstrainedLogitsProcessor(in.prefixAllowedTokensFn(),
                    config.numBeams() / config.numBeamGroups()));
        }
        if (config.forcedBosTokenId() != null) {
            processors.add(new ForcedBOSTokenLogitsProcessor(config.forcedBosTokenId()));
        }
        if (config.forcedEosTokenId() != null) {
            if (config.maxLength() == null) {
                throw new IllegalArgumentException("`forced_eos_token_id` needs `max_length`");
            }
            processors.add(new ForcedEOSTokenLogitsProcessor(config.maxLength(), config.forcedEosTokenId()));
        }
        if (config.removeInvalidValues()) {
            processors.add(new InfNanRemoveLogitsProcessor());
        }
        if (config.exponentialDecayLengthPenalty() != null) {
            processors.add(new ExponentialDecayLengthPenalty(config.exponentialDecayLengthPenalty(), config.eosTokenId(),
                    in.inputIdsSeqLength()));
        }
        if (config.suppressTokens() != null) {
            processors.add(new SuppressTokensLogitsProcessor(config.suppressTokens()));
        }
        if (config.beginSuppressTokens() != null) {
            int beginIndex = in.inputIdsSeqLength();
            beginIndex = (in.inputIdsSeqLength() > 1 || config.forcedBosTokenId() == null) ? beginIndex : beginIndex + 1;
            List<List<Integer>> forced = config.forcedDecoderIds();
            if (forced != null && !forced.isEmpty()) {
                // generation starts after the last forced token
                beginIndex += forced.get(forced.size() - 1).get(0);
            }
            processors.add(new SuppressTokensAtBeginLogitsProcessor(config.beginSuppressTokens(), beginIndex));
        }
        if (config.forcedDecoderIds() != null) {
            processors.add(new ForceTokensLogitsProcessor(config.forcedDecoderIds(), true));
        }
        processors = mergeCriteriaProcessorList(processors, in.logitsProcessor());
        // LogitNormalization always comes last.
        if (config.renormalizeLogits()) {
            processors.add(new LogitNormalization());
        }
        return processors;
    }

    private static NDArray requireEncoderIds(ProcessorInputs in) {
        if (in.encoderInputIds() == null) {
            throw new IllegalArgumentException("this generation config needs `encoder_input_ids` (the model inputs)");
        }
        return in.encoderInputIds();
    }

    /** Python's {@code _get_logits_warper}. */
    public static LogitsProcessorList getLogitsWarper(GenerationConfig config) {
        LogitsProcessorList warpers = new LogitsProcessorList();
        // Beam methods keep at least one non-EOS token to explore continuations.
        int minTokensToKeep;
        if (config.numBeams() > 1) {
            minTokensToKeep = config.eosTokenIdIsList() ? config.eosTokenId().size() + 1 : 2;
        } else {
            minTokensToKeep = 1;
        }
        Double t = config.temperature();
        if (t != null && t != 1.0) {
            warpers.add(new TemperatureLogitsWarper(t));
        }
        Integer topK = config.topK();
        if (topK != null && topK != 0) {
            warpers.add(new TopKLogitsWarper(topK, Float.NEGATIVE_INFINITY, minTokensToKeep));
        }
        Double topP = config.topP();
        if (topP != null && topP < 1.0) {
            warpers.add(new TopPLogitsWarper(topP, Float.NEGATIVE_INFINITY, minTokensToKeep));
        }
        Double typical = config.typicalP();
        if (typical != null && typical < 1.0) {
            warpers.add(new TypicalLogitsWarper(typical, Float.NEGATIVE_INFINITY, minTokensToKeep));
        }
        Double eps = config.epsilonCutoff();
        if (eps != null && 0.0 < eps && eps < 1.0) {
            warpers.add(new EpsilonLogitsWarper(eps, Float.NEGATIVE_INFINITY, minTokensToKeep));
        }
        Double eta = config.etaCutoff();
        if (eta != null && 0.0 < eta && eta < 1.0) {
            warpers.add(new EtaLogitsWarper(eta, Float.NEGATIVE_INFINITY, minTokensToKeep));
        }
        if (config.renormalizeLogits()) {
            warpers.add(new LogitNormalization());
        }
        return warpers;
    }

    /** Python's {@code _get_stopping_criteria}; {@code maxPositionEmbeddings} is the model config's (or null). */
    public static StoppingCriteriaList getStoppingCriteria(GenerationConfig config, Integer maxPositionEmbeddings,
            StoppingCriteriaList custom) {
        StoppingCriteriaList criteria = new StoppingCriteriaList();
        if (config.maxLength() != null) {
            criteria.add(new MaxLengthCriteria(config.maxLength(), maxPositionEmbeddings));
        }
        if (config.maxTime() != null) {
            criteria.add(new MaxTimeCriteria(config.maxTime()));
        }
        return mergeCriteriaProcessorList(criteria, custom);
    }

    /**
     * Python's {@code _merge_criteria_processor_list}: appends the custom ones, refusing a custom object of a type the
     * config already created.
     */
    public static <T, L extends List<T>> L mergeCriteriaProcessorList(L defaults, List<? extends T> custom) {
        if (custom == null || custom.isEmpty()) {
            return defaults;
        }
        for (T d : defaults) {
            for (T c : custom) {
                if (c.getClass() == d.getClass()) {
                    String type = c instanceof StoppingCriteria ? "stopping criteria" : "logits processor";
                    throw new IllegalArgumentException("A custom " + type + " of type " + c.getClass().getSimpleName()
                            + " with values " + c + " has been passed to `.generate()`, but it has already been created "
                            + "with the values " + d + ". " + d + " has been created by passing the corresponding "
                            + "arguments to generate or by the model's config default values. If you just want to "
                            + "change the default values of " + type + " consider passing them as arguments to "
                            + "`.generate()` instead of using a custom " + type + ".");
                }
            }
        }
        defaults.addAll(custom);
        return defaults;
    }

    /**
     * The constraints of constrained beam search: {@code constraints} followed by one constraint per entry of
     * {@code force_words_ids} (a phrase for {@code List[int]}, a disjunction for {@code List[List[int]]}), with
     * Python's checks and message.
     */
    public static List<Constraint> finalConstraints(GenerationConfig config) {
        List<Constraint> out = new ArrayList<>();
        if (config.constraints() != null) {
            out.addAll(config.constraints());
        }
        JsonNode force = config.forceWordsIds();
        if (force != null) {
            String msg = "`force_words_ids` has to either be a `List[List[List[int]]]` or `List[List[int]]` of positive "
                    + "integers, but is " + force + ".";
            if (!force.isArray() || force.size() == 0) {
                throw new IllegalArgumentException(msg);
            }
            for (JsonNode word : force) {
                if (!word.isArray() || word.size() == 0) {
                    throw new IllegalArgumentException(msg);
                }
                if (word.get(0).isArray()) {
                    List<List<Integer>> alternatives = new ArrayList<>();
                    for (JsonNode ids : word) {
                        alternatives.add(positiveInts(ids, msg));
                    }
                    out.add(new DisjunctiveConstraint(alternatives));
                } else {
                    out.add(new PhrasalConstraint(positiveInts(word, msg)));
                }
            }
        }
        return out;
    }

    private static List<Integer> positiveInts(JsonNode ids, String msg) {
        if (!ids.isArray()) {
            throw new IllegalArgumentException(msg);
        }
        List<Integer> out = new ArrayList<>();
        for (JsonNode x : ids) {
            if (!x.isIntegralNumber() || x.asInt() < 0) {
                throw new IllegalArgumentException(msg);
            }
            out.add(x.asInt());
        }
        return out;
    }

    /**
     * The old {@code top_k_top_p_filtering} utility: top-k (if {@code topK > 0}) then top-p (if
     * {@code 0 <= topP <= 1}) with the same filter value and minimum kept tokens.
     */
    public static NDArray topKTopPFiltering(NDArray logits, int topK, double topP, float filterValue,
            int minTokensToKeep) {
        NDArray out = logits;
        if (topK > 0) {
            out = new TopKLogitsWarper(topK, filterValue, minTokensToKeep).process(null, out);
        }
        if (0 <= topP && topP <= 1.0) {
            NDArray next = new TopPLogitsWarper(topP, filterValue, minTokensToKeep).process(null, out);
            if (out != logits) {
                out.close();
            }
            out = next;
        }
        return out;
    }

    public static NDArray topKTopPFiltering(NDArray logits, int topK, double topP) {
        return topKTopPFiltering(logits, topK, topP, Float.NEGATIVE_INFINITY, 1);
    }
}
