package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a tokenizer.json from the older vocabulary formats, as Python's {@code convert_slow_tokenizer} does, but
 * tuned so the Rust tokenizer reproduces the slow Python tokenizers token for token (the reference behaviour):
 * WordPiece (BERT, Nezha), byte-level BPE (GPT-2, Whisper) and the word-end BPE models (BlenderbotSmall,
 * Speech2Text2).
 */
final class SlowConverters {
    private SlowConverters() {}

    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    static ObjectNode skeleton(Collection<Map.Entry<Integer, AddedToken>> added) {
        ObjectNode root = F.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode a = root.putArray("added_tokens");
        for (Map.Entry<Integer, AddedToken> e : added) {
            AddedToken t = e.getValue();
            ObjectNode o = a.addObject();
            o.put("id", e.getKey());
            o.put("content", t.content());
            o.put("single_word", t.singleWord());
            o.put("lstrip", t.lstrip());
            o.put("rstrip", t.rstrip());
            o.put("normalized", t.normalized());
            o.put("special", t.special());
        }
        root.putNull("normalizer");
        root.putNull("pre_tokenizer");
        root.putNull("post_processor");
        root.putNull("decoder");
        return root;
    }

    /**
     * BERT's WordPiece. The slow BasicTokenizer cleans text and spaces CJK characters, then applies NFC, then
     * lower-cases and strips accents: the normalizer is split in two around an NFC step to keep that order.
     */
    static ObjectNode wordPiece(Map<String, Integer> vocab, Collection<Map.Entry<Integer, AddedToken>> added,
            String unk, boolean basic, boolean lowerCase, boolean stripAccents, boolean chineseChars) {
        ObjectNode root = skeleton(added);
        if (basic) {
            ObjectNode seq = F.objectNode();
            seq.put("type", "Sequence");
            ArrayNode ns = seq.putArray("normalizers");
            ObjectNode clean = ns.addObject();
            clean.put("type", "BertNormalizer");
            clean.put("clean_text", true);
            clean.put("handle_chinese_chars", chineseChars);
            clean.put("strip_accents", false);
            clean.put("lowercase", false);
            ns.addObject().put("type", "NFC");
            ObjectNode lower = ns.addObject();
            lower.put("type", "BertNormalizer");
            lower.put("clean_text", false);
            lower.put("handle_chinese_chars", false);
            lower.put("strip_accents", stripAccents);
            lower.put("lowercase", lowerCase);
            root.set("normalizer", seq);
            root.putObject("pre_tokenizer").put("type", "BertPreTokenizer");
        } else {
            root.putObject("pre_tokenizer").put("type", "WhitespaceSplit");
        }
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "WordPiece");
        dec.put("prefix", "##");
        dec.put("cleanup", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "WordPiece");
        model.put("unk_token", unk);
        model.put("continuing_subword_prefix", "##");
        model.put("max_input_chars_per_word", 100);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        return root;
    }

    /** GPT-2's byte-level BPE; the prefix space is added by the Java layer (Python adds it unconditionally). */
    static ObjectNode byteLevelBpe(Map<String, Integer> vocab, List<String[]> merges,
            Collection<Map.Entry<Integer, AddedToken>> added, String unk) {
        ObjectNode root = skeleton(added);
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel");
        pre.put("add_prefix_space", false);
        pre.put("trim_offsets", true);
        pre.put("use_regex", true);
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel");
        dec.put("add_prefix_space", false);
        dec.put("trim_offsets", true);
        dec.put("use_regex", true);
        root.set("model", bpe(vocab, merges, unk != null && vocab.containsKey(unk) ? unk : null, null));
        return root;
    }

    static ObjectNode bpe(Map<String, Integer> vocab, List<String[]> merges, String unk, String endOfWordSuffix) {
        ObjectNode model = F.objectNode();
        model.put("type", "BPE");
        model.putNull("dropout");
        if (unk == null) {
            model.putNull("unk_token");
        } else {
            model.put("unk_token", unk);
        }
        model.putNull("continuing_subword_prefix");
        if (endOfWordSuffix == null) {
            model.putNull("end_of_word_suffix");
        } else {
            model.put("end_of_word_suffix", endOfWordSuffix);
        }
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        for (String[] pair : merges) {
            m.add(pair[0] + " " + pair[1]);
        }
        return model;
    }

    /**
     * A TemplateProcessing post-processor (what Python's converters attach, so the saved tokenizer.json adds special
     * tokens when Python loads it as a fast tokenizer). {@code prefix}/{@code suffix} wrap each sequence;
     * {@code pairSeparator} goes between A and B; type ids are 0 for A's part, 1 for B's.
     */
    static ObjectNode templateProcessing(Map<String, Long> tokens, List<String> prefix, List<String> middle,
            List<String> suffix, boolean pairRepeatsPrefix) {
        ObjectNode pp = F.objectNode();
        pp.put("type", "TemplateProcessing");
        ArrayNode single = pp.putArray("single");
        ArrayNode pair = pp.putArray("pair");
        prefix.forEach(t -> special(single, t, 0));
        sequence(single, "A", 0);
        suffix.forEach(t -> special(single, t, 0));
        prefix.forEach(t -> special(pair, t, 0));
        sequence(pair, "A", 0);
        middle.forEach(t -> special(pair, t, 0));
        if (pairRepeatsPrefix) {
            prefix.forEach(t -> special(pair, t, 1));
        }
        sequence(pair, "B", 1);
        suffix.forEach(t -> special(pair, t, 1));
        ObjectNode st = pp.putObject("special_tokens");
        tokens.forEach((t, id) -> {
            ObjectNode o = st.putObject(t);
            o.put("id", t);
            o.putArray("ids").add(id);
            o.putArray("tokens").add(t);
        });
        return pp;
    }

    private static void special(ArrayNode a, String token, int typeId) {
        ObjectNode o = a.addObject().putObject("SpecialToken");
        o.put("id", token);
        o.put("type_id", typeId);
    }

    private static void sequence(ArrayNode a, String id, int typeId) {
        ObjectNode o = a.addObject().putObject("Sequence");
        o.put("id", id);
        o.put("type_id", typeId);
    }

    // ------------------------------------------------------------------------------------------------ file readers

    /** Python's {@code load_vocab} for vocab.txt: one token a line, id = line number (a later duplicate wins). */
    static Map<String, Integer> readVocabTxt(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        Map<String, Integer> vocab = new LinkedHashMap<>();
        int index = 0;
        int start = 0;
        while (start < text.length()) {
            int nl = text.indexOf('\n', start);
            String line = nl < 0 ? text.substring(start) : text.substring(start, nl);
            vocab.put(line, index++);
            start = nl < 0 ? text.length() : nl + 1;
        }
        return vocab;
    }

    /** vocab.json: a JSON object token → id. */
    static Map<String, Integer> readVocabJson(Path file) throws IOException {
        Map<String, Integer> vocab = new LinkedHashMap<>();
        PreTrainedTokenizer.JSON.readTree(file.toFile()).fields()
                .forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        return vocab;
    }

    /**
     * merges.txt the way each slow tokenizer reads it: {@code read().split("\n")[skip:-1]} (so a file without a final
     * newline loses its last merge, as in Python), each line split on whitespace; lines that are not pairs never
     * match in Python and are dropped here.
     */
    static List<String[]> readMerges(Path file, int skipHeaderLines) throws IOException {
        String[] lines = Files.readString(file, StandardCharsets.UTF_8).split("\n", -1);
        List<String[]> merges = new ArrayList<>();
        for (int i = skipHeaderLines; i < lines.length - 1; i++) {
            String[] parts = lines[i].trim().split("\\s+");
            if (parts.length >= 2 && !parts[0].isEmpty()) {
                merges.add(new String[] {parts[0], parts[1]});
            }
        }
        return merges;
    }

    /** GPT-2's bytes_to_unicode table: byte → printable char. */
    static char[] bytesToUnicode() {
        char[] table = new char[256];
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) {
            direct[b] = true;
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            direct[b] = true;
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            direct[b] = true;
        }
        int n = 0;
        for (int b = 0; b < 256; b++) {
            table[b] = direct[b] ? (char) b : (char) (256 + n++);
        }
        return table;
    }
}
