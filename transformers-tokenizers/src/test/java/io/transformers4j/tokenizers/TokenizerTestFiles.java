package io.transformers4j.tokenizers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Tiny tokenizer folders written by the tests themselves. */
final class TokenizerTestFiles {
    private TokenizerTestFiles() {}

    /** [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, then a..h = 5..12, hello=13, world=14, !=15, ##s=16. */
    static Path bert(Path dir, String extraConfig) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("vocab.txt"),
                String.join("\n", "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "b", "c", "d", "e", "f", "g", "h",
                        "hello", "world", "!", "##s") + "\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"BertTokenizer\","
                + " \"do_lower_case\": true" + extraConfig + "}", StandardCharsets.UTF_8);
        return dir;
    }

    /** A byte-level BPE with every byte in the vocabulary, one merge ("h e"), and no pad token. */
    static Path gpt2(Path dir) throws IOException {
        Files.createDirectories(dir);
        char[] table = SlowConverters.bytesToUnicode();
        StringBuilder vocab = new StringBuilder("{");
        for (int b = 0; b < 256; b++) {
            String c = String.valueOf(table[b]).replace("\\", "\\\\").replace("\"", "\\\"");
            vocab.append('"').append(c).append("\": ").append(b).append(", ");
        }
        vocab.append("\"he\": 256, \"<|endoftext|>\": 257}");
        Files.writeString(dir.resolve("vocab.json"), vocab.toString(), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\nh e\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"GPT2Tokenizer\"}",
                StandardCharsets.UTF_8);
        return dir;
    }

    /**
     * A Whisper tokenizer on {@link #gpt2}'s byte-level vocabulary: {@code <|endoftext|>}=257, then as added tokens
     * {@code <|startoftranscript|>}=258, one {@code <|lang|>} per LANGUAGES entry (259..358), translate=359,
     * transcribe=360, startoflm=361, startofprev=362, nocaptions=363, notimestamps=364 (all special), then the
     * timestamps {@code <|0.00|>}..{@code <|1.00|>} = 365..415 (not special), as Whisper checkpoints lay them out.
     * {@code normalizerJson} (may be null) is written as normalizer.json.
     */
    static Path whisper(Path dir, String normalizerJson) throws IOException {
        gpt2(dir);
        List<String> special = new ArrayList<>();
        special.add("<|startoftranscript|>");
        WhisperTokenizer.LANGUAGES.keySet().forEach(code -> special.add("<|" + code + "|>"));
        special.addAll(List.of("<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
                "<|nocaptions|>", "<|notimestamps|>"));
        StringBuilder cfg = new StringBuilder("{\"tokenizer_class\": \"WhisperTokenizer\",");
        cfg.append(" \"added_tokens_decoder\": {");
        cfg.append(added(257, "<|endoftext|>", true));
        int id = 258;
        for (String t : special) {
            cfg.append(", ").append(added(id++, t, true));
        }
        for (int i = 0; i <= 50; i++) {
            cfg.append(", ").append(added(id++, String.format(Locale.ROOT, "<|%.2f|>", i * 0.02), false));
        }
        cfg.append("}, \"additional_special_tokens\": [");
        for (int i = 0; i < special.size(); i++) {
            cfg.append(i == 0 ? "" : ", ").append('"').append(special.get(i)).append('"');
        }
        cfg.append("], \"bos_token\": \"<|endoftext|>\", \"eos_token\": \"<|endoftext|>\","
                + " \"unk_token\": \"<|endoftext|>\", \"clean_up_tokenization_spaces\": true}");
        Files.writeString(dir.resolve("tokenizer_config.json"), cfg.toString(), StandardCharsets.UTF_8);
        if (normalizerJson != null) {
            Files.writeString(dir.resolve("normalizer.json"), normalizerJson, StandardCharsets.UTF_8);
        }
        return dir;
    }

    private static String added(int id, String content, boolean special) {
        return "\"" + id + "\": {\"content\": \"" + content + "\", \"lstrip\": false, \"normalized\": false,"
                + " \"rstrip\": false, \"single_word\": false, \"special\": " + special + "}";
    }
}
