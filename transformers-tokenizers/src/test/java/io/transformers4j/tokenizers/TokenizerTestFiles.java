package io.transformers4j.tokenizers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

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
}
