package io.transformers4j.tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Python 4.39's padding / truncation semantics (tokenization_utils_base: _get_padding_truncation_strategies,
 * truncate_sequences, _pad) on a tiny BERT vocabulary: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3, a..h = 5..12.
 */
class PaddingTruncationTest {

    @TempDir
    Path tmp;
    PreTrainedTokenizer tok;

    @BeforeEach
    void load() throws IOException {
        tok = AutoTokenizer.fromPretrained(TokenizerTestFiles.bert(tmp.resolve("bert"), "").toString());
    }

    @AfterEach
    void close() {
        tok.close();
    }

    private static EncodeOptions.Builder opts() {
        return EncodeOptions.builder();
    }

    @Test
    void singleAndPairLayoutWithTokenTypes() {
        BatchEncoding e = tok.encodePlus("a b c", "d e", opts().returnSpecialTokensMask(true).build());
        BatchEncoding.Row r = e.row(0);
        assertArrayEquals(new long[] {2, 5, 6, 7, 3, 8, 9, 3}, r.inputIds());
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 1, 1, 1}, r.tokenTypeIds());
        assertArrayEquals(new long[] {1, 1, 1, 1, 1, 1, 1, 1}, r.attentionMask());
        assertArrayEquals(new long[] {1, 0, 0, 0, 1, 0, 0, 1}, r.specialTokensMask());
        assertArrayEquals(new long[] {5, 6, 7, 8, 9}, tok.encode("a b c", "d e", opts().addSpecialTokens(false)
                .build()));
    }

    @Test
    void padLongestRightAndLeft() {
        List<String> texts = List.of("a b c d", "a");
        BatchEncoding right = tok.batchEncodePlus(texts, opts().padding(true).build());
        assertArrayEquals(new long[] {2, 5, 3, 0, 0, 0}, right.row(1).inputIds());
        assertArrayEquals(new long[] {1, 1, 1, 0, 0, 0}, right.row(1).attentionMask());
        tok.setPaddingSide("left");
        BatchEncoding left = tok.batchEncodePlus(texts, opts().padding(true).build());
        assertArrayEquals(new long[] {0, 0, 0, 2, 5, 3}, left.row(1).inputIds());
        assertArrayEquals(new long[] {0, 0, 0, 1, 1, 1}, left.row(1).attentionMask());
        assertArrayEquals(new long[] {0, 0, 0, 0, 0, 0}, left.row(1).tokenTypeIds());
        assertThrows(IllegalArgumentException.class, () -> tok.setPaddingSide("middle"));
    }

    @Test
    void padToMaxLengthAndMultiple() {
        BatchEncoding e = tok.encodePlus("a b", null, opts().padding("max_length").maxLength(6).build());
        assertArrayEquals(new long[] {2, 5, 6, 3, 0, 0}, e.row(0).inputIds());
        BatchEncoding m = tok.batchEncodePlus(List.of("a b c", "a"), opts().padding(true).padToMultipleOf(4).build());
        assertEquals(8, m.row(0).inputIds().length);
        assertEquals(8, m.row(1).inputIds().length);
        // A single sequence padded "longest" only rounds up to the multiple.
        assertEquals(4, tok.encodePlus("a", null, opts().padding(true).padToMultipleOf(4).build()).row(0)
                .inputIds().length);
        // max_length padding without a max_length and no model_max_length: Python pads nothing.
        assertEquals(3, tok.encodePlus("a", null, opts().padding("max_length").build()).row(0).inputIds().length);
    }

    @Test
    void maxLengthAloneTruncatesLongestFirst() {
        BatchEncoding e = tok.encodePlus("a b c d e f", null, opts().maxLength(5).build());
        assertArrayEquals(new long[] {2, 5, 6, 7, 3}, e.row(0).inputIds());
    }

    @Test
    void longestFirstPairUses439Split() {
        // 6 + 6 tokens + 3 specials, max 8: 7 to remove, lengths equal: ids lose 3, the pair loses 4.
        long[] ids = tok.encode("a b c d e f", "a b c d e f", opts().truncation(true).maxLength(8).build());
        assertArrayEquals(new long[] {2, 5, 6, 7, 3, 5, 6, 3}, ids);
        // Longer first sequence: the difference comes off it first.
        long[] ids2 = tok.encode("a b c d e f", "a", opts().truncation("longest_first").maxLength(6).build());
        assertArrayEquals(new long[] {2, 5, 6, 3, 5, 3}, ids2);
    }

    @Test
    void onlyFirstWithStrideReturnsOverflow() {
        BatchEncoding e = tok.encodePlus("a b c d e f", "g", opts().truncation("only_first").maxLength(6).stride(1)
                .returnOverflowingTokens(true).build());
        assertArrayEquals(new long[] {2, 5, 6, 3, 11, 3}, e.row(0).inputIds());
        // Removed c d e f (7..10) plus one token of stride before them.
        assertArrayEquals(new long[] {6, 7, 8, 9, 10}, e.row(0).overflowingTokens());
        assertEquals(4, e.row(0).numTruncatedTokens());
    }

    @Test
    void onlySecondAndLeftTruncation() {
        long[] ids = tok.encode("a", "b c d e", opts().truncation("only_second").maxLength(6).build());
        assertArrayEquals(new long[] {2, 5, 3, 6, 7, 3}, ids);
        tok.setTruncationSide("left");
        long[] left = tok.encode("a", "b c d e", opts().truncation("only_second").maxLength(6).build());
        assertArrayEquals(new long[] {2, 5, 3, 8, 9, 3}, left);
    }

    @Test
    void overflowWithLongestFirstPairIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.encodePlus("a b", "c d",
                opts().truncation(true).maxLength(4).returnOverflowingTokens(true).build()));
        assertEquals(true, e.getMessage().startsWith("Not possible to return overflowing tokens"));
    }

    @Test
    void modelMaxLengthDrivesTruncation() throws IOException {
        try (PreTrainedTokenizer t = AutoTokenizer.fromPretrained(TokenizerTestFiles.bert(tmp.resolve("short"),
                ", \"model_max_length\": 4").toString())) {
            assertArrayEquals(new long[] {2, 5, 6, 3}, t.encode("a b c d", null, opts().truncation(true).build()));
            // Too long without truncation: encodes everything (Python only warns).
            assertEquals(6, t.encode("a b c d").length);
        }
    }

    @Test
    void batchToNDArrays() {
        BatchEncoding e = tok.batchEncodePlus(List.of("a b", "c"), opts().padding(true).build());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = e.get("input_ids", m);
            assertEquals(new Shape(2, 4), ids.getShape());
            assertArrayEquals(new long[] {2, 5, 6, 3, 2, 7, 3, 0}, ids.toLongArray());
            assertEquals(3, e.toNDList(m).size());
        }
        BatchEncoding ragged = tok.batchEncodePlus(List.of("a b", "c"), opts().build());
        try (NDManager m = NDManager.newBaseManager()) {
            assertThrows(IllegalStateException.class, () -> ragged.get("input_ids", m));
        }
    }

    @Test
    void offsetsFollowTheText() {
        BatchEncoding e = tok.encodePlus("Hello world!", null, opts().returnOffsetsMapping(true).build());
        assertArrayEquals(new long[] {2, 13, 14, 15, 3}, e.row(0).inputIds());
        int[][] o = e.row(0).offsets();
        assertArrayEquals(new int[] {0, 0}, o[0]);
        assertArrayEquals(new int[] {0, 5}, o[1]);
        assertArrayEquals(new int[] {6, 11}, o[2]);
        assertArrayEquals(new int[] {11, 12}, o[3]);
        assertArrayEquals(new int[] {0, 0}, o[4]);
    }

    @Test
    void decodeSkipsSpecialTokensAndCleansUp() {
        long[] ids = tok.encode("hello world !");
        assertEquals("[CLS] hello world! [SEP]", tok.decode(ids));
        assertEquals("hello world!", tok.decode(ids, true));
        assertEquals("hello world !", tok.decode(ids, true, false));
        assertEquals(List.of("hello world!", "a"), tok.batchDecode(new long[][] {ids, {2, 5, 3}}, true));
    }

    @Test
    void addedTokensSplitWhole() {
        assertEquals(List.of("[UNK]"), tok.tokenize("zz"));
        assertEquals(1, tok.addTokens(List.of("zz")));
        assertEquals(List.of("a", "zz", "b"), tok.tokenize("a zz b"));
        assertEquals(17, tok.convertTokensToIds("zz"));
        assertEquals(1, tok.addSpecialTokens(Map.of("additional_special_tokens", List.of("<x>"))));
        assertEquals(List.of("a", "<x>", "b"), tok.tokenize("a<x>b"));
        assertEquals("a b", tok.decode(tok.encode("a<x>b", null, opts().addSpecialTokens(false).build()), true));
        assertNull(tok.bosToken());
        assertEquals(0L, tok.padTokenId());
    }

    @Test
    void savePretrainedRoundTrips() throws IOException {
        tok.addTokens(List.of("zz"));
        Path out = tmp.resolve("saved");
        tok.savePretrained(out);
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")) {
            assertEquals(true, Files.isRegularFile(out.resolve(f)), f);
        }
        long[] expected = tok.encode("Hello zz world", "a b", EncodeOptions.defaults());
        try (PreTrainedTokenizer slow = AutoTokenizer.fromPretrained(out.toString(),
                TokenizerOptions.defaults().withUseFast(false));
                PreTrainedTokenizer fast = new PreTrainedTokenizerFast(
                        (com.fasterxml.jackson.databind.node.ObjectNode) PreTrainedTokenizer.JSON.readTree(
                                out.resolve("tokenizer_config.json").toFile()), out)) {
            assertEquals(BertTokenizer.class, slow.getClass());
            assertArrayEquals(expected, slow.encode("Hello zz world", "a b", EncodeOptions.defaults()));
            assertArrayEquals(expected, fast.encode("Hello zz world", "a b", EncodeOptions.defaults()));
            assertEquals(tok.decode(expected), fast.decode(expected));
        }
    }
}
