package io.transformers4j.tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Truncation in PreTrainedTokenizerFast follows Rust's truncate_encodings (what Python's fast tokenizers run), the
 * slow tokenizers Python's truncate_sequences. The pair lengths are the table of tokenizers' own unit test
 * (utils/truncation.rs, truncate_encodings_longest_first, max_length 7) and 4.39's slow rule; on BERT the three
 * special tokens come on top, so max_length is 10.
 */
class FastTruncationTest {

    @TempDir
    Path tmp;
    PreTrainedTokenizer slow;
    PreTrainedTokenizer fast;

    @BeforeEach
    void load() throws IOException {
        slow = AutoTokenizer.fromPretrained(TokenizerTestFiles.bert(tmp.resolve("bert"), "").toString());
        Path saved = tmp.resolve("fast");
        slow.savePretrained(saved);
        Files.delete(saved.resolve("vocab.txt"));
        fast = AutoTokenizer.fromPretrained(saved.toString());
        assertInstanceOf(PreTrainedTokenizerFast.class, fast);
    }

    @AfterEach
    void close() {
        slow.close();
        fast.close();
    }

    /** n single-letter tokens ("a b c ..."). */
    private static String words(int n) {
        return String.join(" ", Arrays.copyOf("a b c d e f g h".split(" "), n));
    }

    private static int[] lengths(PreTrainedTokenizer tok, int n1, int n2, int maxLength) {
        long[] ids = tok.encode(words(n1), words(n2), EncodeOptions.builder().truncation("longest_first")
                .maxLength(maxLength).returnTokenTypeIds(true).build());
        BatchEncoding.Row r = tok.encodePlus(words(n1), words(n2), EncodeOptions.builder()
                .truncation("longest_first").maxLength(maxLength).returnTokenTypeIds(true).build()).row(0);
        int first = 0;
        for (long t : r.tokenTypeIds()) {
            first += t == 0 ? 1 : 0;
        }
        assertEquals(ids.length, r.inputIds().length);
        return new int[] {first - 2, r.inputIds().length - first - 1}; // without [CLS] .. [SEP] / .. [SEP]
    }

    @Test
    void longestFirstPairsFollowRust() {
        // {len1, len2, rust1, rust2, slow1, slow2}; Rust's unit test table for max_length 7
        int[][] table = {
            {2, 2, 2, 2, 2, 2},
            {2, 4, 2, 4, 2, 4},
            {2, 8, 2, 5, 2, 5},
            {4, 2, 4, 2, 4, 2},
            {4, 4, 3, 4, 4, 3},
            {4, 8, 3, 4, 4, 3},
            {8, 2, 5, 2, 5, 2},
            {8, 4, 4, 3, 4, 3},
            {8, 8, 3, 4, 4, 3},
        };
        for (int[] row : table) {
            String what = row[0] + "+" + row[1];
            assertArrayEquals(new int[] {row[2], row[3]}, lengths(fast, row[0], row[1], 10), "fast " + what);
            assertArrayEquals(new int[] {row[4], row[5]}, lengths(slow, row[0], row[1], 10), "slow " + what);
        }
        // which tokens are kept: the start (right truncation) or the end (left truncation)
        assertArrayEquals(new long[] {2, 5, 6, 7, 3, 5, 6, 7, 8, 3}, fast.encode(words(4), words(8),
                EncodeOptions.builder().truncation(true).maxLength(10).build()));
        fast.setTruncationSide("left");
        assertArrayEquals(new long[] {2, 6, 7, 8, 3, 9, 10, 11, 12, 3}, fast.encode(words(4), words(8),
                EncodeOptions.builder().truncation(true).maxLength(10).build()));
    }

    @Test
    void singleSequencesAgree() {
        for (PreTrainedTokenizer tok : new PreTrainedTokenizer[] {slow, fast}) {
            assertArrayEquals(new long[] {2, 5, 6, 7, 3}, tok.encode(words(6), null,
                    EncodeOptions.builder().truncation(true).maxLength(5).build()));
            BatchEncoding.Row r = tok.encodePlus(words(6), null, EncodeOptions.builder().truncation("only_first")
                    .maxLength(5).stride(1).returnOverflowingTokens(true).build()).row(0);
            assertArrayEquals(new long[] {7, 8, 9, 10}, r.overflowingTokens());
        }
    }

    @Test
    void onlyFirstAndOnlySecondFailWhereRustFails() {
        EncodeOptions onlySecond = EncodeOptions.builder().truncation("only_second").maxLength(8).build();
        // the second sequence (2 tokens) cannot lose the 5 needed: the slow rule logs and keeps everything
        assertEquals(13, slow.encode(words(8), words(2), onlySecond).length);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> fast.encode(words(8), words(2), onlySecond));
        assertEquals("Truncation error: Sequence to truncate too short to respect the provided max_length",
                e.getMessage());
        EncodeOptions onlySecondSingle = EncodeOptions.builder().truncation("only_second").maxLength(4).build();
        assertEquals(8, slow.encode(words(6), null, onlySecondSingle).length);
        IllegalArgumentException single = assertThrows(IllegalArgumentException.class,
                () -> fast.encode(words(6), null, onlySecondSingle));
        assertEquals("Truncation error: Second sequence not provided", single.getMessage());
        // both agree when it fits
        EncodeOptions fits = EncodeOptions.builder().truncation("only_second").maxLength(9).build();
        assertArrayEquals(slow.encode(words(4), words(4), fits), fast.encode(words(4), words(4), fits));
    }

    @Test
    void strideMustFitTheEffectiveLength() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> fast.encode(words(8), null,
                EncodeOptions.builder().truncation(true).maxLength(5).stride(4).build()));
        assertEquals("tokenizer stride set to 4, which is greater than or equal to its effective max length of 3"
                + " (= 5 original max length - 2 added special tokens), ", e.getMessage());
        assertEquals(5, fast.encode(words(8), null, EncodeOptions.builder().truncation(true).maxLength(5).stride(3)
                .build()).length);
    }
}
