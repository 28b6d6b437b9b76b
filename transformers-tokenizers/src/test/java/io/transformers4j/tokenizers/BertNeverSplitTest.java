package io.transformers4j.tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * BertTokenizer's {@code never_split} with Python 4.39's semantics (BasicTokenizer + BertTokenizer._tokenize): a
 * whitespace token equal to an entry (after the base class lower-cases the text) is kept whole, unsplit and not
 * accent-stripped; any basic-tokenizer output equal to an entry skips WordPiece, so it is [UNK] when the vocabulary
 * lacks it. Expected tokens and ids were produced by running 4.39's BasicTokenizer / WordpieceTokenizer / tokenize
 * code on this vocabulary.
 */
class BertNeverSplitTest {

    static final List<String> VOCAB = List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "(", ")", "[", "]",
            "hello", "##s", "café", "cafe", "xx", "XX", "world", "Hello", "ΟΔΟΣ", "οδοσ", "οδος");

    @TempDir
    Path tmp;

    private PreTrainedTokenizer load(String name, String config) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("vocab.txt"), String.join("\n", VOCAB) + "\n", StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"BertTokenizer\", " + config
                + "}", StandardCharsets.UTF_8);
        return AutoTokenizer.fromPretrained(dir.toString());
    }

    private static void check(PreTrainedTokenizer tok, String text, List<String> tokens, long[] ids) {
        assertEquals(tokens, tok.tokenize(text), text);
        assertArrayEquals(ids, tok.encode(text, null, EncodeOptions.defaults().withAddSpecialTokens(false)), text);
    }

    @Test
    void lowerCasedNeverSplit() throws IOException {
        try (PreTrainedTokenizer tok = load("lower", "\"do_lower_case\": true,"
                + " \"never_split\": [\"hellos\", \"café\", \"[XX]\"]")) {
            // kept whole and not WordPiece'd: [UNK], where WordPiece would give hello ##s
            check(tok, "hellos", List.of("hellos"), new long[] {1});
            check(tok, "Hellos world", List.of("hellos", "world"), new long[] {1, 15});
            check(tok, "café", List.of("café"), new long[] {11});
            // the base class lower-cases first, so "Café" matches and keeps its accent
            check(tok, "Café", List.of("café"), new long[] {11});
            // only a whole whitespace token matches: "(café)" is split, lower-cased and stripped
            check(tok, "(café)", List.of("(", "cafe", ")"), new long[] {5, 12, 6});
            // an upper-case entry never matches lower-cased text
            check(tok, "[XX]", List.of("[", "xx", "]"), new long[] {7, 13, 8});
            check(tok, "[xx]", List.of("[", "xx", "]"), new long[] {7, 13, 8});
            // a punctuation split can produce an entry, which then skips WordPiece
            check(tok, "hello(hellos)", List.of("hello", "(", "hellos", ")"), new long[] {9, 5, 1, 6});
            assertArrayEquals(new long[] {2, 11, 3}, tok.encode("Café"));
            // Python's slow tokenizers have no offsets
            assertThrows(UnsupportedOperationException.class, () -> tok.encodePlus("café", null,
                    EncodeOptions.builder().returnOffsetsMapping(true).build()));
        }
    }

    @Test
    void casedNeverSplit() throws IOException {
        try (PreTrainedTokenizer tok = load("cased", "\"do_lower_case\": false,"
                + " \"never_split\": [\"[XX]\", \"Hello\"]")) {
            check(tok, "[XX] Hello", List.of("[XX]", "Hello"), new long[] {1, 16});
            check(tok, "Hello,", List.of("Hello", "[UNK]"), new long[] {16, 1});
            check(tok, "hellos [XX]", List.of("hello", "##s", "[XX]"), new long[] {9, 10, 1});
            List<String> batch = List.of("[XX] Hello", "hellos [XX]");
            assertEquals(List.of(List.of(2L, 1L, 16L, 3L), List.of(2L, 9L, 10L, 1L, 3L)),
                    rows(tok.batchEncodePlus(batch, EncodeOptions.defaults())));
        }
    }

    /** The base class lowers one character at a time (re.sub over "(.+?)"): no Greek final sigma. */
    @Test
    void lowerCasingIsPerCharacter() throws IOException {
        try (PreTrainedTokenizer tok = load("greek", "\"do_lower_case\": true, \"never_split\": [\"οδοσ\"]")) {
            check(tok, "ΟΔΟΣ", List.of("οδοσ"), new long[] {18});
            check(tok, "οδος", List.of("οδος"), new long[] {19});
        }
    }

    @Test
    void withoutNeverSplitTheRustPipelineStillServes() throws IOException {
        try (PreTrainedTokenizer tok = load("plain", "\"do_lower_case\": true")) {
            check(tok, "hellos", List.of("hello", "##s"), new long[] {9, 10});
            // offsets come from Rust
            assertEquals(2, tok.encodePlus("hellos", null, EncodeOptions.builder().returnOffsetsMapping(true)
                    .addSpecialTokens(false).build()).row(0).offsets().length);
        }
    }

    private static List<List<Long>> rows(BatchEncoding b) {
        return b.rows().stream().map(r -> java.util.Arrays.stream(r.inputIds()).boxed().toList()).toList();
    }
}
