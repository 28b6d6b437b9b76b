package io.transformers4j.sentence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The raw tokenizer.json of the langchain4j jar, which records a fixed 128-token padding and truncation. */
class SentenceTokenizerTest {

    @TempDir
    static Path dir;
    static SentenceTokenizer tok;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = SentenceTokenizerTest.class.getResourceAsStream(DefaultModel.TOKENIZER_RESOURCE)) {
            Files.copy(in, dir.resolve("tokenizer.json"));
        }
        tok = SentenceTokenizer.load(dir, 256);
    }

    @AfterAll
    static void close() {
        tok.close();
    }

    @Test
    void emptyStringIsClsSep() {
        SentenceTokenizer.Batch b = tok.encode(List.of(""));
        assertArrayEquals(new long[] {101, 102}, b.inputIds()[0]);
        assertArrayEquals(new long[] {1, 1}, b.attentionMask()[0]);
    }

    @Test
    void knownIdsAndLongestPadding() {
        // BERT uncased vocab: hello = 7592, world = 2088, ! = 999.
        SentenceTokenizer.Batch b = tok.encode(List.of("Hello world!", "hello"));
        assertEquals(5, b.seqLen(), "padded to the longest sequence, not the file's fixed 128");
        assertArrayEquals(new long[] {101, 7592, 2088, 999, 102}, b.inputIds()[0]);
        assertArrayEquals(new long[] {101, 7592, 102, 0, 0}, b.inputIds()[1]);
        assertArrayEquals(new long[] {1, 1, 1, 0, 0}, b.attentionMask()[1]);
        assertArrayEquals(new long[] {0, 0, 0, 0, 0}, b.tokenTypeIds()[1]);
    }

    @Test
    void truncatesAtMaxLengthKeepingSep() {
        String longText = "word ".repeat(400);
        SentenceTokenizer.Batch b = tok.encode(List.of(longText, "short"));
        assertEquals(256, b.seqLen());
        assertEquals(101, b.inputIds()[0][0]);
        assertEquals(102, b.inputIds()[0][255]);
    }
}
