package io.transformers4j.tokenizers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WhisperTokenizer's normaliser hooks and WhisperTokenizerFast (a Whisper checkpoint with only tokenizer.json), on the
 * tiny Whisper vocabulary of {@link TokenizerTestFiles#whisper}. Where Python's slow and fast classes agree (its tests
 * assert it: test_skip_special_tokens_with_timestamps, test_fast_tokenizer_get_prompt_ids, test_basic_normalizer),
 * the fast class is checked against the slow one.
 */
class WhisperTokenizerFastTest {

    static final String NORMALIZER_JSON = "{\"cancelation\": \"cancellation\", \"centre\": \"center\","
            + " \"colour\": \"color\", \"mobilisation\": \"mobilization\"}";
    static final long SOT = 258;
    static final long EN = 259;
    static final long ES = 262;
    static final long TRANSCRIBE = 360;
    static final long PREV = 362;
    static final long NO_TIMESTAMPS = 364;
    static final long EOT = 257;

    @TempDir
    Path tmp;

    /** The same checkpoint as tokenizer.json only: saved by the slow class, vocab.json and merges.txt removed. */
    private Path fastOnly(Path slowDir) throws IOException {
        Path out = tmp.resolve("fast");
        try (PreTrainedTokenizer slow = AutoTokenizer.fromPretrained(slowDir.toString())) {
            slow.savePretrained(out);
        }
        Files.delete(out.resolve("vocab.json"));
        Files.delete(out.resolve("merges.txt"));
        return out;
    }

    @Test
    void autoTokenizerPicksWhisperTokenizerFastForTokenizerJsonOnly() throws IOException {
        Path slowDir = TokenizerTestFiles.whisper(tmp.resolve("slow"), NORMALIZER_JSON);
        try (PreTrainedTokenizer slow = AutoTokenizer.fromPretrained(slowDir.toString());
                PreTrainedTokenizer fast = AutoTokenizer.fromPretrained(fastOnly(slowDir).toString())) {
            assertInstanceOf(WhisperTokenizer.class, slow);
            WhisperTokenizerFast f = assertInstanceOf(WhisperTokenizerFast.class, fast);
            WhisperTokenization s = (WhisperTokenization) slow;
            assertEquals(List.of("input_ids", "attention_mask"), fast.modelInputNames());
            assertEquals(s.timestampBegin(), f.timestampBegin());
            assertEquals(365, f.timestampBegin());
            assertArrayEquals(new long[] {SOT, NO_TIMESTAMPS}, f.prefixTokens());
            assertEquals(s.languageTokenIds(), f.languageTokenIds());
            // Same ids as the slow class for text, pairs and prompts.
            for (String text : List.of("Hola güey!", "hello world", " he said  <|en|> hi")) {
                assertArrayEquals(slow.encode(text), fast.encode(text), text);
            }
            assertArrayEquals(s.getPromptIds("This is test prompt text."), f.getPromptIds("This is test prompt text."));
            assertEquals(PREV, f.getPromptIds("a")[0]);
            assertEquals("WhisperTokenizer", fast.tokenizerClass());
        }
    }

    @Test
    void setPrefixTokensRebuildsTheFastPostProcessor() throws IOException {
        Path slowDir = TokenizerTestFiles.whisper(tmp.resolve("slow"), null);
        Path fastDir = fastOnly(slowDir);
        // Python 4.39's WhisperTokenizerFast keeps tokenizer.json's post-processor at load;
        // set_prefix_tokens replaces it.
        try (PreTrainedTokenizer tok = AutoTokenizer.fromPretrained(fastDir.toString(),
                TokenizerOptions.defaults().with("language", "spanish").with("task", "transcribe"))) {
            WhisperTokenizerFast f = (WhisperTokenizerFast) tok;
            long[] he = tok.encode("he", null, EncodeOptions.defaults().withAddSpecialTokens(false));
            assertArrayEquals(new long[] {256}, he);
            assertArrayEquals(new long[] {SOT, ES, TRANSCRIBE, NO_TIMESTAMPS}, f.prefixTokens());
            assertArrayEquals(new long[] {SOT, NO_TIMESTAMPS, 256, EOT}, tok.encode("he"));
            f.setPrefixTokens("english", null, null);
            assertArrayEquals(new long[] {SOT, EN, TRANSCRIBE, NO_TIMESTAMPS, 256, EOT}, tok.encode("he"));
            BatchEncoding pair = tok.encodePlus("he", "he", EncodeOptions.builder().returnTokenTypeIds(true)
                    .returnSpecialTokensMask(true).build());
            assertArrayEquals(new long[] {SOT, EN, TRANSCRIBE, NO_TIMESTAMPS, 256, 256, EOT}, pair.row(0).inputIds());
            assertArrayEquals(new long[] {0, 0, 0, 0, 0, 1, 1}, pair.row(0).tokenTypeIds());
            assertArrayEquals(new long[] {1, 1, 1, 1, 0, 0, 1}, pair.row(0).specialTokensMask());
            List<long[]> forced = f.getDecoderPromptIds("translate", "french", true);
            assertArrayEquals(new long[] {1, 265}, forced.get(0));
            assertArrayEquals(new long[] {2, 359}, forced.get(1));
            assertArrayEquals(new long[] {3, NO_TIMESTAMPS}, forced.get(2));
            assertArrayEquals(new long[] {SOT, 265, 359, NO_TIMESTAMPS, 256, EOT}, tok.encode("he"));
            // The saved tokenizer.json carries the new post-processor, as Python's backend does.
            Path saved = tmp.resolve("saved");
            tok.savePretrained(saved);
            try (PreTrainedTokenizer again = AutoTokenizer.fromPretrained(saved.toString())) {
                assertArrayEquals(new long[] {SOT, 265, 359, NO_TIMESTAMPS, 256, EOT}, again.encode("he"));
            }
        }
    }

    @Test
    void timestampsAndOffsetsAgreeWithTheSlowTokenizer() throws IOException {
        Path slowDir = TokenizerTestFiles.whisper(tmp.resolve("slow"), null);
        try (PreTrainedTokenizer slow = AutoTokenizer.fromPretrained(slowDir.toString());
                PreTrainedTokenizer fast = AutoTokenizer.fromPretrained(fastOnly(slowDir).toString())) {
            WhisperTokenization s = (WhisperTokenization) slow;
            WhisperTokenization f = (WhisperTokenization) fast;
            long[] text1 = slow.encode(" he said hi", null, EncodeOptions.defaults().withAddSpecialTokens(false));
            long[] text2 = slow.encode(" and left", null, EncodeOptions.defaults().withAddSpecialTokens(false));
            // <|0.00|> text1 <|0.40|><|0.40|> text2 <|0.60|>, then a restart at <|0.10|>
            long[] ids = PreTrainedTokenizer.concat(new long[] {SOT, NO_TIMESTAMPS, 365}, text1,
                    new long[] {385, 385}, text2, new long[] {395, 370}, text1, new long[] {375, EOT});
            for (boolean skip : new boolean[] {false, true}) {
                assertEquals(s.decodeWithTimestamps(ids, skip, 0.02), f.decodeWithTimestamps(ids, skip, 0.02));
                assertEquals(slow.decode(ids, skip), fast.decode(ids, skip));
            }
            assertEquals("<|0.00|> he said hi<|0.40|><|0.40|> and left<|0.60|><|0.70|> he said hi<|0.80|>",
                    f.decodeWithTimestamps(ids, true, 0.02));
            WhisperTokenizer.DecodedWithOffsets so = s.decodeWithOffsets(ids, false, 0.02);
            WhisperTokenizer.DecodedWithOffsets fo = f.decodeWithOffsets(ids, false, 0.02);
            assertEquals(so, fo);
            assertEquals(3, fo.offsets().size());
            // Python: (token - timestamp_begin) * time_precision, float products as they are
            assertEquals(new WhisperTokenizer.Offset(" he said hi", 0 * 0.02, 20 * 0.02), fo.offsets().get(0));
            assertEquals(new WhisperTokenizer.Offset(" and left", 20 * 0.02, 30 * 0.02), fo.offsets().get(1));
            assertEquals(new WhisperTokenizer.Offset(" he said hi", 5 * 0.02, 10 * 0.02), fo.offsets().get(2));
            // The prompt before <|startoftranscript|> is dropped with skip_special_tokens.
            long[] prompted = PreTrainedTokenizer.concat(s.getPromptIds("he"), new long[] {SOT, NO_TIMESTAMPS},
                    text2, new long[] {EOT});
            assertEquals(" and left", fast.decode(prompted, true));
            assertEquals(slow.decode(prompted, false), fast.decode(prompted, false));
        }
    }

    @Test
    void fastDecodeCleansUpLikePythonsFastClass() throws IOException {
        Path slowDir = TokenizerTestFiles.whisper(tmp.resolve("slow"), null);
        try (PreTrainedTokenizer slow = AutoTokenizer.fromPretrained(slowDir.toString());
                PreTrainedTokenizer fast = AutoTokenizer.fromPretrained(fastOnly(slowDir).toString())) {
            long[] ids = slow.encode("hi , there .", null, EncodeOptions.defaults().withAddSpecialTokens(false));
            // Whisper's slow _decode never cleans up; the fast one goes through PreTrainedTokenizerFast._decode.
            assertEquals("hi , there .", slow.decode(ids, true));
            assertEquals("hi, there.", fast.decode(ids, true));
            assertEquals("hi , there .", fast.decode(ids, true, false));
        }
    }

    /** transformers' test_basic_normalizer, for both classes; then the English normaliser on decode. */
    @Test
    void decodeWithNormalizers() throws IOException {
        Path slowDir = TokenizerTestFiles.whisper(tmp.resolve("slow"), NORMALIZER_JSON);
        try (PreTrainedTokenizer slow = AutoTokenizer.fromPretrained(slowDir.toString());
                PreTrainedTokenizer fast = AutoTokenizer.fromPretrained(fastOnly(slowDir).toString())) {
            for (PreTrainedTokenizer tok : List.of(slow, fast)) {
                WhisperTokenization w = (WhisperTokenization) tok;
                String name = tok.getClass().getSimpleName();
                long[] ids = tok.encode("Hola güey!");
                assertEquals("Hola güey!", w.decode(ids, true, null, false, false, false), name);
                assertEquals("hola güey ", w.decode(ids, true, null, false, true, false), name);
                assertEquals("hola guey ", w.decode(ids, true, null, false, true, true), name);
                long[] en = tok.encode("The colour of the centre, Mr. Park's twenty one cats.");
                // special tokens kept in the text are <...> spans the normaliser removes
                assertEquals("the color of the center mister park is 21 cats", w.decode(en, false, null, true,
                        false, false), name);
                assertEquals("the color of the center mister park is 21 cats",
                        w.normalize("The colour of the centre, Mr. Park's twenty one cats."), name);
                assertEquals(4, w.englishSpellingNormalizer().size(), name);
            }
            Path saved = tmp.resolve("saved");
            fast.savePretrained(saved);
            assertEquals(PreTrainedTokenizer.JSON.readTree(NORMALIZER_JSON),
                    PreTrainedTokenizer.JSON.readTree(saved.resolve("normalizer.json").toFile()));
        }
    }

    @Test
    void normalizeWithoutNormalizerJsonFailsClearly() throws IOException {
        Path dir = TokenizerTestFiles.whisper(tmp.resolve("slow"), null);
        try (PreTrainedTokenizer tok = AutoTokenizer.fromPretrained(dir.toString())) {
            WhisperTokenization w = (WhisperTokenization) tok;
            assertNull(w.englishSpellingNormalizer());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> w.normalize("hello"));
            assertTrue(e.getMessage().contains("normalizer.json"), e.getMessage());
            // the basic normaliser needs no mapping
            assertEquals("hello ", w.decode(tok.encode("Hello!"), true, null, false, true, false));
        }
        Files.writeString(dir.resolve("normalizer.json"), "[1, 2]");
        IOException bad = assertThrows(IOException.class, () -> AutoTokenizer.fromPretrained(dir.toString()));
        assertTrue(bad.getMessage().contains("normalizer.json"), bad.getMessage());
    }
}
