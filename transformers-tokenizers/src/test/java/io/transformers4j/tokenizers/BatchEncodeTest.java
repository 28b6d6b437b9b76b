package io.transformers4j.tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The batch path (ids straight from the native batch, offsets only on request) agrees with one-by-one encoding. */
class BatchEncodeTest {

    @TempDir
    Path tmp;

    @Test
    void batchRowsEqualSingleEncodes() throws IOException {
        PreTrainedTokenizer slow = AutoTokenizer.fromPretrained(TokenizerTestFiles.bert(tmp.resolve("b"), "")
                .toString());
        slow.savePretrained(tmp.resolve("f"));
        java.nio.file.Files.delete(tmp.resolve("f").resolve("vocab.txt"));
        try (slow; PreTrainedTokenizer fast = AutoTokenizer.fromPretrained(tmp.resolve("f").toString())) {
            List<String> texts = List.of("Hello world!", "a b  c", "", "hellos [MASK] d e f g h");
            for (PreTrainedTokenizer tok : List.of(slow, fast)) {
                EncodeOptions withOffsets = EncodeOptions.builder().returnOffsetsMapping(true).build();
                BatchEncoding batch = tok.batchEncodePlus(texts, withOffsets);
                BatchEncoding plain = tok.batchEncodePlus(texts, EncodeOptions.defaults());
                assertNull(plain.offsetMapping());
                for (int i = 0; i < texts.size(); i++) {
                    BatchEncoding.Row one = tok.encodePlus(texts.get(i), null, withOffsets).row(0);
                    BatchEncoding.Row row = batch.row(i);
                    String what = tok.getClass().getSimpleName() + " " + texts.get(i);
                    assertArrayEquals(one.inputIds(), row.inputIds(), what);
                    assertArrayEquals(one.inputIds(), plain.row(i).inputIds(), what);
                    assertArrayEquals(one.attentionMask(), row.attentionMask(), what);
                    assertArrayEquals(one.tokenTypeIds(), row.tokenTypeIds(), what);
                    assertEquals(one.offsets().length, row.offsets().length, what);
                    for (int t = 0; t < one.offsets().length; t++) {
                        assertArrayEquals(one.offsets()[t], row.offsets()[t], what + " token " + t);
                    }
                }
            }
        }
    }
}
