package io.transformers4j.parity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.transformers4j.tokenizers.AutoTokenizer;
import io.transformers4j.tokenizers.BatchEncoding;
import io.transformers4j.tokenizers.EncodeOptions;
import io.transformers4j.tokenizers.PreTrainedTokenizer;
import io.transformers4j.tokenizers.TokenizerOptions;
import io.transformers4j.tokenizers.WhisperTokenization;
import io.transformers4j.tokenizers.WhisperTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * {@code tokenizer}: loads the folder with AutoTokenizer (plus the case's {@code load_kwargs}) and checks every line
 * of cases.jsonl exactly: input_ids, attention_mask, token_type_ids (present exactly when expected), the ids without
 * special tokens, tokenize(text) (+ tokenize(text_pair)), decode with and without skip_special_tokens. Decode-only
 * lines ({@code "op": "decode"}) check Whisper's decode options and offsets. Every difference is reported.
 */
public final class TokenizerRunner implements CaseRunner {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_REPORTED = 12;

    @Override
    public boolean accepts(FixtureCase c) {
        return c.kind().equals("tokenizer");
    }

    static TokenizerOptions loadOptions(FixtureCase c) {
        TokenizerOptions o = TokenizerOptions.defaults().withHub(
                io.transformers4j.hub.HubOptions.defaults().withLocalFilesOnly(true));
        JsonNode kw = c.json().path("load_kwargs");
        for (var it = kw.fields(); it.hasNext(); ) {
            var e = it.next();
            o = o.with(e.getKey(), JSON.convertValue(e.getValue(), Object.class));
        }
        return o;
    }

    @Override
    public void run(FixtureCase c) throws Exception {
        List<String> diffs = new ArrayList<>();
        int lines = 0;
        try (PreTrainedTokenizer tok = AutoTokenizer.fromPretrained(c.dir().toString(), loadOptions(c))) {
            List<String> all = Files.readAllLines(c.file(c.json().path("cases").asText("cases.jsonl")),
                    StandardCharsets.UTF_8);
            for (int ln = 0; ln < all.size(); ln++) {
                if (all.get(ln).isBlank()) {
                    continue;
                }
                lines++;
                JsonNode line = JSON.readTree(all.get(ln));
                String where = "line " + (ln + 1);
                try {
                    if (line.has("op")) {
                        runOp(tok, line, where, diffs);
                    } else {
                        runText(tok, line, where, diffs);
                    }
                } catch (RuntimeException e) {
                    diffs.add(where + " " + snippet(line) + ": threw " + e);
                }
            }
        }
        if (!diffs.isEmpty()) {
            StringBuilder sb = new StringBuilder(diffs.size() + " of " + lines + " lines differ");
            for (int i = 0; i < Math.min(MAX_REPORTED, diffs.size()); i++) {
                sb.append("\n  ").append(diffs.get(i));
            }
            if (diffs.size() > MAX_REPORTED) {
                sb.append("\n  ... ").append(diffs.size() - MAX_REPORTED).append(" more");
            }
            throw new AssertionError(sb.toString());
        }
    }

    private static String snippet(JsonNode line) {
        String t = line.has("text") ? line.get("text").toString() : line.path("ids").toString();
        return t.length() > 60 ? t.substring(0, 60) + "...\"" : t;
    }

    private static void runText(PreTrainedTokenizer tok, JsonNode line, String where, List<String> diffs) {
        String text = line.get("text").asText();
        String pair = line.path("text_pair").isNull() || !line.has("text_pair") ? null
                : line.get("text_pair").asText();
        String w = where + " " + snippet(line);
        BatchEncoding enc = tok.encodePlus(text, pair, EncodeOptions.defaults());
        BatchEncoding.Row row = enc.row(0);
        ids(w, "input_ids", line.get("input_ids"), row.inputIds(), diffs);
        ids(w, "attention_mask", line.get("attention_mask"), row.attentionMask(), diffs);
        if (line.has("token_type_ids")) {
            ids(w, "token_type_ids", line.get("token_type_ids"), row.tokenTypeIds(), diffs);
        } else if (row.tokenTypeIds() != null) {
            diffs.add(w + " token_type_ids: not expected (Python does not return them), got "
                    + Arrays.toString(row.tokenTypeIds()));
        }
        if (line.has("input_ids_no_special")) {
            long[] noSpecial = tok.encodePlus(text, pair, EncodeOptions.defaults().withAddSpecialTokens(false))
                    .row(0).inputIds();
            ids(w, "input_ids_no_special", line.get("input_ids_no_special"), noSpecial, diffs);
        }
        if (line.has("tokens")) {
            List<String> tokens = new ArrayList<>(tok.tokenize(text));
            if (pair != null) {
                tokens.addAll(tok.tokenize(pair));
            }
            List<String> expected = new ArrayList<>();
            line.get("tokens").forEach(n -> expected.add(n.asText()));
            if (!expected.equals(tokens)) {
                diffs.add(w + " tokens: expected " + quote(expected) + " got " + quote(tokens));
            }
        }
        long[] ids = row.inputIds();
        str(w, "decoded", line.get("decoded"), tok.decode(ids, false), diffs);
        str(w, "decoded_skip_special", line.get("decoded_skip_special"), tok.decode(ids, true), diffs);
    }

    private static void runOp(PreTrainedTokenizer tok, JsonNode line, String where, List<String> diffs) {
        String op = line.get("op").asText();
        if (!op.equals("decode")) {
            throw new CaseSkipped("op '" + op + "' not supported by the runner");
        }
        long[] ids = toLongs(line.get("ids"));
        JsonNode kw = line.path("kwargs");
        boolean skip = kw.path("skip_special_tokens").asBoolean(false);
        double precision = kw.path("time_precision").asDouble(0.02);
        String w = where + " decode" + kw;
        if (kw.path("output_offsets").asBoolean(false)) {
            WhisperTokenization wt = whisper(tok);
            WhisperTokenizer.DecodedWithOffsets d = wt.decodeWithOffsets(ids, skip, precision);
            str(w, "decoded", line.get("decoded"), d.text(), diffs);
            JsonNode exp = line.get("offsets");
            if (exp.size() != d.offsets().size()) {
                diffs.add(w + " offsets: expected " + exp + " got " + d.offsets());
                return;
            }
            for (int i = 0; i < exp.size(); i++) {
                WhisperTokenizer.Offset o = d.offsets().get(i);
                JsonNode e = exp.get(i);
                if (!e.get("text").asText().equals(o.text()) || e.get("timestamp").get(0).asDouble() != o.start()
                        || e.get("timestamp").get(1).asDouble() != o.end()) {
                    diffs.add(w + " offsets[" + i + "]: expected " + e + " got " + o);
                }
            }
        } else if (kw.path("decode_with_timestamps").asBoolean(false)) {
            str(w, "decoded", line.get("decoded"), whisper(tok).decodeWithTimestamps(ids, skip, precision), diffs);
        } else {
            Boolean cleanUp = kw.has("clean_up_tokenization_spaces")
                    ? kw.get("clean_up_tokenization_spaces").asBoolean() : null;
            str(w, "decoded", line.get("decoded"), tok.decode(ids, skip, cleanUp), diffs);
        }
    }

    private static WhisperTokenization whisper(PreTrainedTokenizer tok) {
        if (tok instanceof WhisperTokenization w) {
            return w;
        }
        throw new AssertionError("decode options with timestamps need a Whisper tokenizer, got "
                + tok.getClass().getSimpleName());
    }

    static long[] toLongs(JsonNode arr) {
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asLong();
        }
        return out;
    }

    static void ids(String where, String name, JsonNode expected, long[] actual, List<String> diffs) {
        if (expected == null) {
            return;
        }
        long[] e = toLongs(expected);
        if (actual == null) {
            diffs.add(where + " " + name + ": missing, expected " + Arrays.toString(e));
        } else if (!Arrays.equals(e, actual)) {
            int first = 0;
            while (first < Math.min(e.length, actual.length) && e[first] == actual[first]) {
                first++;
            }
            diffs.add(where + " " + name + ": first difference at index " + first + "; expected " + Arrays.toString(e)
                    + " got " + Arrays.toString(actual));
        }
    }

    static void str(String where, String name, JsonNode expected, String actual, List<String> diffs) {
        if (expected == null) {
            return;
        }
        if (!expected.asText().equals(actual)) {
            diffs.add(where + " " + name + ": expected " + quote(expected.asText()) + " got " + quote(actual));
        }
    }

    static String quote(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (Exception e) {
            return String.valueOf(o);
        }
    }

    static Map<String, Object> asMap(JsonNode n) {
        return JSON.convertValue(n, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { });
    }
}
