package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.tokenizers.WhisperTokenizer.Offset;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What WhisperTokenizer and WhisperTokenizerFast share (Python keeps two "Copied from" copies): the decoder prompt
 * ({@code prefix_tokens}), timestamp tokens, prompt ids, offsets and the normalizer.json spelling mapping. The two
 * classes differ only in how ids become text ({@code _decode}), passed in as a function.
 */
final class WhisperCommon {
    private WhisperCommon() {}

    /** {@code <|1.08|>}; Python's {@code \d} matches any Unicode decimal digit. */
    static final Pattern TIMESTAMP = PyRegex.compile("<\\|(\\d+\\.\\d+)\\|>");

    /** Python's {@code prefix_tokens}: {@code <|startoftranscript|> [<|lang|>] [<|task|>] [<|notimestamps|>]}. */
    static long[] prefixTokens(PreTrainedTokenizer t, String language, String task, boolean predictTimestamps) {
        long bos = t.convertTokensToIds("<|startoftranscript|>");
        long translate = t.convertTokensToIds("<|translate|>");
        long transcribe = t.convertTokensToIds("<|transcribe|>");
        long noTimestamps = t.convertTokensToIds("<|notimestamps|>");
        List<String> langs = new ArrayList<>(WhisperTokenizer.LANGUAGES.keySet());
        List<Long> seq = new ArrayList<>();
        seq.add(bos);
        if (language != null) {
            seq.add(bos + 1 + langs.indexOf(WhisperTokenizer.languageCode(language)));
        }
        if (task != null) {
            if (!WhisperTokenizer.TASK_IDS.contains(task)) {
                throw new IllegalArgumentException("Unsupported task: " + task + ". Task should be in: "
                        + WhisperTokenizer.TASK_IDS);
            }
            seq.add(task.equals("transcribe") ? transcribe : translate);
        }
        if (!predictTimestamps) {
            seq.add(noTimestamps);
        }
        return seq.stream().mapToLong(Long::longValue).toArray();
    }

    /** Python's {@code get_decoder_prompt_ids} once the prefix is set: (position, token) after the start token. */
    static List<long[]> decoderPromptIds(long[] prefix) {
        List<long[]> out = new ArrayList<>();
        for (int i = 1; i < prefix.length; i++) {
            out.add(new long[] {i, prefix[i]});
        }
        return out;
    }

    /** The id of each language token ({@code <|en|>} ...) the vocabulary has: code → id. */
    static Map<String, Long> languageTokenIds(PreTrainedTokenizer t) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String code : WhisperTokenizer.LANGUAGES.keySet()) {
            String tok = "<|" + code + "|>";
            if (t.addedTokensEncoder.containsKey(tok) || t.vocabLookup(tok) != null) {
                m.put(code, t.convertTokensToIds(tok));
            }
        }
        return m;
    }

    /** The first timestamp id: one past the last special token (Python's {@code all_special_ids[-1] + 1}). */
    static long timestampBegin(PreTrainedTokenizer t) {
        long[] ids = t.allSpecialIds();
        return ids[ids.length - 1] + 1;
    }

    /** Python's {@code _preprocess_token_ids}: with skip_special_tokens, drops a {@code <|startofprev|>} prompt. */
    static long[] preprocessTokenIds(PreTrainedTokenizer t, long[] ids, boolean skipSpecialTokens) {
        if (!skipSpecialTokens || ids.length == 0) {
            return ids;
        }
        long prompt = t.convertTokensToIds("<|startofprev|>");
        long start = t.convertTokensToIds("<|startoftranscript|>");
        if (ids[0] == prompt) {
            for (int i = 0; i < ids.length; i++) {
                if (ids[i] == start) {
                    return Arrays.copyOfRange(ids, i, ids.length);
                }
            }
            return new long[0];
        }
        return ids;
    }

    /** Python's {@code _filter_timestamp_ids}. */
    static String filterTimestamps(String text) {
        return TIMESTAMP.matcher(text).replaceAll("");
    }

    /**
     * Python's {@code _decode_with_timestamps}: timestamp tokens become {@code <|1.08|>} marks (offset by the earlier
     * segments when the timestamps restart), the text between them goes through {@code decode}.
     */
    static String decodeWithTimestamps(PreTrainedTokenizer t, long[] ids, double timePrecision,
            Function<long[], String> decode) {
        long begin = timestampBegin(t);
        List<Object> outputs = new ArrayList<>();
        List<Long> current = new ArrayList<>();
        outputs.add(current);
        double curMax = 0.0;
        double prevSegmentsLen = 0.0;
        for (long token : ids) {
            if (token >= begin) {
                double timestamp = (token - begin) * timePrecision;
                if (timestamp < curMax) {
                    // next segment has started
                    prevSegmentsLen += curMax;
                }
                curMax = timestamp;
                outputs.add("<|" + format2(timestamp + prevSegmentsLen) + "|>");
                current = new ArrayList<>();
                outputs.add(current);
            } else {
                current.add(token);
            }
        }
        StringBuilder sb = new StringBuilder();
        for (Object o : outputs) {
            if (o instanceof String s) {
                sb.append(s);
            } else {
                @SuppressWarnings("unchecked")
                List<Long> l = (List<Long>) o;
                sb.append(decode.apply(l.stream().mapToLong(Long::longValue).toArray()));
            }
        }
        return sb.toString();
    }

    /** Python's {@code "%.2f"}: the exact binary value, correctly rounded. */
    static String format2(double v) {
        return new BigDecimal(v).setScale(2, RoundingMode.HALF_EVEN).toPlainString();
    }

    /** Python's {@code _compute_offsets}; {@code rawDecode} is the class's {@code _decode(ids)}. */
    static List<Offset> computeOffsets(PreTrainedTokenizer t, long[] ids, double timePrecision,
            Function<long[], String> rawDecode) {
        long begin = timestampBegin(t);
        List<Integer> tsPositions = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] >= begin) {
                tsPositions.add(i);
            }
        }
        List<Integer> consecutive = new ArrayList<>();
        for (int i = 0; i + 1 < ids.length; i++) {
            if (ids[i] >= begin && ids[i + 1] >= begin) {
                consecutive.add(i + 1);
            }
        }
        List<Offset> offsets = new ArrayList<>();
        if (consecutive.isEmpty() && tsPositions.size() <= 1) {
            // either there are no timestamps or there are no consecutive ones
            return offsets;
        }
        int last = tsPositions.get(tsPositions.size() - 1) + 1;
        if (!consecutive.contains(last)) {
            // we add the final timestamp if it is not already in the list
            consecutive.add(last);
        }
        int lastSlice = tsPositions.get(0);
        for (int current : consecutive) {
            long[] sliced = Arrays.copyOfRange(ids, lastSlice, current);
            if (sliced.length > 1) {
                long start = sliced[0] - begin;
                long end = sliced[sliced.length - 1] - begin;
                String text = filterTimestamps(rawDecode.apply(sliced));
                offsets.add(new Offset(text, start * timePrecision, end * timePrecision));
            }
            lastSlice = current;
        }
        return offsets;
    }

    /** Python's {@code get_prompt_ids}: {@code <|startofprev|>} + the prompt text, refusing special tokens in it. */
    static long[] promptIds(PreTrainedTokenizer t, String text) {
        long[] ids = t.encodePlus("<|startofprev|>", " " + PreTrainedTokenizer.pyStrip(text),
                EncodeOptions.defaults().withAddSpecialTokens(false)).row(0).inputIds();
        long firstSpecial = t.allSpecialIds()[0];
        for (int i = 1; i < ids.length; i++) {
            if (ids[i] >= firstSpecial) {
                throw new IllegalArgumentException("Encountered text in the prompt corresponding to disallowed"
                        + " special token: " + t.convertIdsToTokens(ids[i]) + ".");
            }
        }
        return ids;
    }

    /** Python's {@code normalize} on decoded text (English) or {@code basic_normalize} (any language). */
    static String normalize(String text, boolean normalize, boolean basicNormalize, boolean removeDiacritics,
            Map<String, String> spelling) {
        if (normalize) {
            return new EnglishTextNormalizer(spelling).apply(text);
        }
        if (basicNormalize) {
            return new BasicTextNormalizer(removeDiacritics, false).apply(text);
        }
        return text;
    }

    /** normalizer.json (Python's {@code english_spelling_normalizer}): a JSON object word → word, or null. */
    static Map<String, String> readSpellingNormalizer(ObjectNode config, Path directory) throws IOException {
        JsonNode name = config.get("normalizer_file");
        Path file = directory.resolve(name != null && name.isTextual() ? name.asText() : "normalizer.json");
        if (!Files.isRegularFile(file)) {
            return null;
        }
        JsonNode n;
        try {
            n = PreTrainedTokenizer.JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("Cannot parse " + file + " as JSON: " + e.getMessage(), e);
        }
        if (!n.isObject()) {
            throw new IOException(file + " must hold a JSON object (British spelling → American spelling)");
        }
        Map<String, String> m = new LinkedHashMap<>();
        n.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().asText()));
        return m;
    }

    /** Python's save_vocabulary writes normalizer.json with sorted keys, when the tokenizer has one. */
    static List<Path> writeSpellingNormalizer(Path dir, Map<String, String> spelling) throws IOException {
        if (spelling == null) {
            return List.of();
        }
        ObjectNode o = PreTrainedTokenizer.JSON.createObjectNode();
        new TreeMap<>(spelling).forEach(o::put);
        Path out = dir.resolve("normalizer.json");
        Files.writeString(out, PreTrainedTokenizer.JSON.writeValueAsString(o) + "\n", StandardCharsets.UTF_8);
        return List.of(out);
    }
}
