package io.transformers4j.parity;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.generation.AlternatingCodebooksLogitsProcessor;
import io.transformers4j.generation.BarkEosPrioritizerLogitsProcessor;
import io.transformers4j.generation.ClassifierFreeGuidanceLogitsProcessor;
import io.transformers4j.generation.EncoderNoRepeatNGramLogitsProcessor;
import io.transformers4j.generation.EncoderRepetitionPenaltyLogitsProcessor;
import io.transformers4j.generation.EpsilonLogitsWarper;
import io.transformers4j.generation.EtaLogitsWarper;
import io.transformers4j.generation.ExponentialDecayLengthPenalty;
import io.transformers4j.generation.ForceTokensLogitsProcessor;
import io.transformers4j.generation.ForcedBOSTokenLogitsProcessor;
import io.transformers4j.generation.ForcedEOSTokenLogitsProcessor;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.generation.HammingDiversityLogitsProcessor;
import io.transformers4j.generation.InfNanRemoveLogitsProcessor;
import io.transformers4j.generation.LogitNormalization;
import io.transformers4j.generation.LogitsProcessor;
import io.transformers4j.generation.LogitsProcessorList;
import io.transformers4j.generation.MinLengthLogitsProcessor;
import io.transformers4j.generation.MinNewTokensLengthLogitsProcessor;
import io.transformers4j.generation.NoBadWordsLogitsProcessor;
import io.transformers4j.generation.NoRepeatNGramLogitsProcessor;
import io.transformers4j.generation.PrefixConstrainedLogitsProcessor;
import io.transformers4j.generation.RepetitionPenaltyLogitsProcessor;
import io.transformers4j.generation.SequenceBiasLogitsProcessor;
import io.transformers4j.generation.SuppressTokensAtBeginLogitsProcessor;
import io.transformers4j.generation.SuppressTokensLogitsProcessor;
import io.transformers4j.generation.TemperatureLogitsWarper;
import io.transformers4j.generation.TopKLogitsWarper;
import io.transformers4j.generation.TopPLogitsWarper;
import io.transformers4j.generation.TypicalLogitsWarper;
import io.transformers4j.generation.WhisperTimeStampLogitsProcessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a logits processor from a fixture's class name and constructor kwargs (tests/fixtures/FORMAT.md,
 * {@code logits-processor}): Python defaults for omitted kwargs, {@code "-inf"}-style float strings, the encoded
 * {@code sequence_bias}, {@code force_token_map}, {@code prefix_allowed_tokens_fn} tables.
 */
final class ProcessorFactory {
    private ProcessorFactory() {}

    static LogitsProcessor create(String name, JsonNode call, Map<String, NDArray> tensors) {
        JsonNode c = call == null ? JsonNodeFactory.instance.objectNode() : call;
        switch (name) {
            case "AlternatingCodebooksLogitsProcessor":
                return new AlternatingCodebooksLogitsProcessor(i(c, "input_start_len"), i(c, "semantic_vocab_size"),
                        i(c, "codebook_size"));
            case "BarkEosPrioritizerLogitsProcessor":
                return new BarkEosPrioritizerLogitsProcessor(ints(c.get("eos_token_id")),
                        c.hasNonNull("min_eos_p") ? d(c.get("min_eos_p")) : null);
            case "ClassifierFreeGuidanceLogitsProcessor":
                return new ClassifierFreeGuidanceLogitsProcessor(d(c.get("guidance_scale")));
            case "EncoderNoRepeatNGramLogitsProcessor":
                return new EncoderNoRepeatNGramLogitsProcessor(i(c, "encoder_ngram_size"), tensor(tensors, "encoder_input_ids"));
            case "EncoderRepetitionPenaltyLogitsProcessor":
                return new EncoderRepetitionPenaltyLogitsProcessor(d(c.get("penalty")), tensor(tensors, "encoder_input_ids"));
            case "EpsilonLogitsWarper":
                return new EpsilonLogitsWarper(d(c.get("epsilon")), filter(c), minKeep(c));
            case "EtaLogitsWarper":
                return new EtaLogitsWarper(d(c.get("epsilon")), filter(c), minKeep(c));
            case "ExponentialDecayLengthPenalty": {
                JsonNode p = c.get("exponential_decay_length_penalty");
                return new ExponentialDecayLengthPenalty(new ExponentialDecayLengthPenalty.Penalty(p.get(0).asInt(),
                        d(p.get(1))), ints(c.get("eos_token_id")), i(c, "input_ids_seq_length"));
            }
            case "ForceTokensLogitsProcessor":
                return new ForceTokensLogitsProcessor(nested(c.get("force_token_map")), true);
            case "ForcedBOSTokenLogitsProcessor":
                return new ForcedBOSTokenLogitsProcessor(i(c, "bos_token_id"));
            case "ForcedEOSTokenLogitsProcessor":
                return new ForcedEOSTokenLogitsProcessor(i(c, "max_length"), ints(c.get("eos_token_id")));
            case "HammingDiversityLogitsProcessor":
                return new HammingDiversityLogitsProcessor(d(c.get("diversity_penalty")), i(c, "num_beams"),
                        i(c, "num_beam_groups"));
            case "InfNanRemoveLogitsProcessor":
                return new InfNanRemoveLogitsProcessor();
            case "LogitNormalization":
                return new LogitNormalization();
            case "MinLengthLogitsProcessor":
                return new MinLengthLogitsProcessor(i(c, "min_length"), ints(c.get("eos_token_id")));
            case "MinNewTokensLengthLogitsProcessor":
                return new MinNewTokensLengthLogitsProcessor(i(c, "prompt_length_to_skip"), i(c, "min_new_tokens"),
                        ints(c.get("eos_token_id")));
            case "NoBadWordsLogitsProcessor":
                return new NoBadWordsLogitsProcessor(nested(c.get("bad_words_ids")),
                        c.hasNonNull("eos_token_id") ? ints(c.get("eos_token_id")) : List.of());
            case "NoRepeatNGramLogitsProcessor":
                return new NoRepeatNGramLogitsProcessor(i(c, "ngram_size"));
            case "PrefixConstrainedLogitsProcessor":
                return new PrefixConstrainedLogitsProcessor(prefixFn(c.get("prefix_allowed_tokens_fn")), i(c, "num_beams"));
            case "RepetitionPenaltyLogitsProcessor":
                return new RepetitionPenaltyLogitsProcessor(d(c.get("penalty")));
            case "SequenceBiasLogitsProcessor":
                return new SequenceBiasLogitsProcessor(sequenceBias(c.get("sequence_bias")));
            case "SuppressTokensAtBeginLogitsProcessor":
                return new SuppressTokensAtBeginLogitsProcessor(ints(c.get("begin_suppress_tokens")), i(c, "begin_index"));
            case "SuppressTokensLogitsProcessor":
                return new SuppressTokensLogitsProcessor(ints(c.get("suppress_tokens")));
            case "TemperatureLogitsWarper":
                return new TemperatureLogitsWarper(d(c.get("temperature")));
            case "TopKLogitsWarper":
                return new TopKLogitsWarper(i(c, "top_k"), filter(c), minKeep(c));
            case "TopPLogitsWarper":
                return new TopPLogitsWarper(d(c.get("top_p")), filter(c), minKeep(c));
            case "TypicalLogitsWarper":
                return new TypicalLogitsWarper(c.has("mass") ? d(c.get("mass")) : 0.9, filter(c), minKeep(c));
            case "WhisperTimeStampLogitsProcessor": {
                JsonNode gc = c.get("generate_config");
                GenerationConfig config = GenerationConfig.fromJson(gc == null ? JsonNodeFactory.instance.objectNode()
                        : (ObjectNode) gc);
                Integer begin = c.hasNonNull("begin_index") ? c.get("begin_index").asInt() : null;
                Boolean detect = c.hasNonNull("_detect_timestamp_from_logprob")
                        ? c.get("_detect_timestamp_from_logprob").asBoolean() : null;
                return new WhisperTimeStampLogitsProcessor(config, begin, detect);
            }
            case "LogitsProcessorList": {
                LogitsProcessorList list = new LogitsProcessorList();
                for (JsonNode p : c.path("processors")) {
                    list.add(create(p.get(0).asText(), p.get(1), tensors));
                }
                return list;
            }
            case "UnbatchedClassifierFreeGuidanceLogitsProcessor":
            case "WhisperNoSpeechDetection":
                throw new CaseSkipped(name + " runs a model forward inside the processor; covered by the generate cases");
            default:
                throw new CaseSkipped("logits processor " + name + " is not ported");
        }
    }

    static int i(JsonNode c, String key) {
        JsonNode n = c.get(key);
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException("case call has no `" + key + "`");
        }
        return n.asInt();
    }

    /** A float kwarg; the fixtures write infinities and nan as strings. */
    static double d(JsonNode n) {
        if (n == null || n.isNull()) {
            throw new IllegalArgumentException("missing float kwarg");
        }
        if (n.isTextual()) {
            switch (n.asText().toLowerCase()) {
                case "-inf": return Double.NEGATIVE_INFINITY;
                case "inf": case "+inf": return Double.POSITIVE_INFINITY;
                case "nan": return Double.NaN;
                default: return Double.parseDouble(n.asText());
            }
        }
        return n.asDouble();
    }

    static float filter(JsonNode c) {
        return c.hasNonNull("filter_value") ? (float) d(c.get("filter_value")) : Float.NEGATIVE_INFINITY;
    }

    static int minKeep(JsonNode c) {
        return c.hasNonNull("min_tokens_to_keep") ? c.get("min_tokens_to_keep").asInt() : 1;
    }

    static List<Integer> ints(JsonNode n) {
        List<Integer> out = new ArrayList<>();
        if (n == null || n.isNull()) {
            return out;
        }
        if (n.isNumber()) {
            out.add(n.asInt());
            return out;
        }
        n.forEach(x -> out.add(x.asInt()));
        return out;
    }

    static List<List<Integer>> nested(JsonNode n) {
        List<List<Integer>> out = new ArrayList<>();
        n.forEach(row -> out.add(ints(row)));
        return out;
    }

    static Map<List<Integer>, Double> sequenceBias(JsonNode n) {
        Map<List<Integer>, Double> out = new LinkedHashMap<>();
        for (JsonNode pair : n) {
            out.put(ints(pair.get(0)), d(pair.get(1)));
        }
        return out;
    }

    static NDArray tensor(Map<String, NDArray> tensors, String name) {
        NDArray t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException("inputs.safetensors has no `" + name + "`");
        }
        return t;
    }

    /** {"type": "table", "table": {"<batch_id>": {"<last token>": [...], "*": [...]}}}. */
    static PrefixConstrainedLogitsProcessor.PrefixAllowedTokensFn prefixFn(JsonNode spec) {
        if (spec == null || !"table".equals(spec.path("type").asText())) {
            throw new CaseSkipped("prefix_allowed_tokens_fn encoding " + spec + " is not supported");
        }
        JsonNode table = spec.get("table");
        return (batchId, ids) -> {
            JsonNode row = table.get(Integer.toString(batchId));
            if (row == null) {
                throw new IllegalArgumentException("prefix table has no batch " + batchId);
            }
            String last = ids.length == 0 ? "*" : Long.toString(ids[ids.length - 1]);
            JsonNode allowed = row.has(last) ? row.get(last) : row.get("*");
            return ints(allowed);
        };
    }
}
