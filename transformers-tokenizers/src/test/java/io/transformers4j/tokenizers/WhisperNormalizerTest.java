package io.transformers4j.tokenizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The Whisper text normalisers (english_normalizer.py). Expected values come from the Python tests: OpenAI Whisper's
 * tests/test_normalizer.py (the code transformers copied) and transformers' tests/models/whisper/
 * test_tokenization_whisper.py; the {@link #referenceRuns} table was produced by running transformers 4.39's
 * english_normalizer.py on those inputs.
 */
class WhisperNormalizerTest {

    /** Entries of Whisper's normalizer.json (english.json), copied as they are. */
    static final Map<String, String> SPELLING = Map.of("mobilisation", "mobilization", "cancelation",
            "cancellation", "colour", "color", "centre", "center");

    /** openai/whisper tests/test_normalizer.py, test_number_normalizer: input, expected. */
    static final String[][] NUMBERS = {
        {"two", "2"},
        {"thirty one", "31"},
        {"five twenty four", "524"},
        {"nineteen ninety nine", "1999"},
        {"twenty nineteen", "2019"},
        {"two point five million", "2500000"},
        {"four point two billions", "4200000000s"},
        {"200 thousand", "200000"},
        {"200 thousand dollars", "$200000"},
        {"$20 million", "$20000000"},
        {"€52.4 million", "€52400000"},
        {"£77 thousands", "£77000s"},
        {"two double o eight", "2008"},
        {"three thousand twenty nine", "3029"},
        {"forty three thousand two hundred sixty", "43260"},
        {"forty three thousand two hundred and sixty", "43260"},
        {"nineteen fifties", "1950s"},
        {"thirty first", "31st"},
        {"thirty three thousand and three hundred and thirty third", "33333rd"},
        {"three billion", "3000000000"},
        {"millions", "1000000s"},
        {"july third twenty twenty", "july 3rd 2020"},
        {"august twenty sixth twenty twenty one", "august 26th 2021"},
        {"3 14", "3 14"},
        {"3.14", "3.14"},
        {"3 point 2", "3.2"},
        {"3 point 14", "3.14"},
        {"fourteen point 4", "14.4"},
        {"two point two five dollars", "$2.25"},
        {"two hundred million dollars", "$200000000"},
        {"$20.1 million", "$20100000"},
        {"ninety percent", "90%"},
        {"seventy six per cent", "76%"},
        {"double oh seven", "007"},
        {"double zero seven", "007"},
        {"nine one one", "911"},
        {"nine double one", "911"},
        {"one triple oh one", "10001"},
        {"two thousandth", "2000th"},
        {"thirty two thousandth", "32000th"},
        {"minus 500", "-500"},
        {"positive twenty thousand", "+20000"},
        {"two dollars and seventy cents", "$2.70"},
        {"3 cents", "¢3"},
        {"$0.36", "¢36"},
        {"three euros and sixty five cents", "€3.65"},
        {"three and a half million", "3500000"},
        {"forty eight and a half dollars", "$48.5"},
        {"b747", "b 747"},
        {"10 th", "10th"},
        {"10th", "10th"},
    };

    @Test
    void numberNormalizerMatchesWhisperTests() {
        // Whisper runs the number table through both the number normaliser and the full English normaliser.
        check(new EnglishNumberNormalizer(), NUMBERS);
        check(new EnglishTextNormalizer(SPELLING), NUMBERS);
    }

    @Test
    void spellingNormalizer() {
        EnglishSpellingNormalizer std = new EnglishSpellingNormalizer(SPELLING);
        assertEquals("mobilization", std.apply("mobilisation"));
        assertEquals("cancellation", std.apply("cancelation"));
    }

    @Test
    void textNormalizerMatchesWhisperTests() {
        check(new EnglishTextNormalizer(SPELLING), new String[][] {
            {"Let's", "let us"},
            {"he's like", "he is like"},
            {"she's been like", "she has been like"},
            {"10km", "10 km"},
            {"10mm", "10 mm"},
            {"RC232", "rc 232"},
            {"Mr. Park visited Assoc. Prof. Kim Jr.", "mister park visited associate professor kim junior"},
        });
    }

    /** transformers' test_basic_normalizer (the text the tokenizer decodes back). */
    @Test
    void basicNormalizerMatchesTransformersTest() {
        assertEquals("hola güey ", WhisperTokenizer.basicNormalize("Hola güey!", false));
        assertEquals("hola guey ", WhisperTokenizer.basicNormalize("Hola güey!", true));
    }

    /** Outputs of transformers 4.39's english_normalizer.py (number, English, basic, basic without diacritics). */
    @Test
    void referenceRuns() {
        String[][] rows = {
            // "nineth" is Python's ordinal spelling of nine; "ninth" is not a number word there
            {"the ninth and the nineth", "the ninth and the 9th", "the ninth and the 9th"},
            // a leading "and a half" has no number before it and is dropped
            {"and a half", "", ""},
            {"one and a half", "one.5", "one.5"},
            {"two and a half pounds", "£2.5", "£2.5"},
            {"1s and 1", "ones and one", "ones and one"},
            {"$1 million", "$1000000", "$1000000"},
            {"twenty one point five percent", "21.5%", "21.5%"},
            {"one hundred and one", "101", "101"},
            {"minus minus two", "-2", "-2"},
            {"zero zero seven", "007", "007"},
            {"1,000,000 dollars", "one,000,000 dollars", "$1000000"},
            {"it's the colour of the centre", "it's the colour of the centre", "it is the color of the center"},
            {"[laughs] um I can't go (inaudible) uh", "[laughs] um I can't go (inaudible) uh", "i can not go"},
            {"½p", "½p", "one 2 p"},
            {"<|startoftranscript|><|notimestamps|>The colour of the centre, Mr. Park's twenty one cats.<|endoftext|>",
                null, "the color of the center mister park is 21 cats"},
        };
        EnglishNumberNormalizer num = new EnglishNumberNormalizer();
        EnglishTextNormalizer text = new EnglishTextNormalizer(SPELLING);
        for (String[] r : rows) {
            if (r[1] != null) {
                assertEquals(r[1], num.apply(r[0]), "number normaliser on " + r[0]);
            }
            assertEquals(r[2], text.apply(r[0]), "English normaliser on " + r[0]);
        }
        // Python's \s and str.split() include U+2028 and U+001C; Java's \s does not.
        assertEquals("a b c", num.apply("a\u2028b\u001cc"));
        assertEquals("a b c", new BasicTextNormalizer(false, false).apply("a\u2028b\u001cc"));
        // split_letters: one extended grapheme cluster per item; marks and symbols became spaces first
        BasicTextNormalizer split = new BasicTextNormalizer(false, true);
        assertEquals("h e l l o", split.apply("hello"));
        assertEquals("n é e", split.apply("ne\u0301e"));
        assertEquals(" o k", split.apply("\uD83D\uDC4D\uD83C\uDFFD ok"));
        assertEquals(" the colour of the centre mr park s twenty one cats ", new BasicTextNormalizer(true, false)
                .apply("<|startoftranscript|> The colour of the centre, Mr. Park's twenty one cats.<|endoftext|>"));
    }

    @Test
    void missingSpellingMappingFailsOnlyWithWords() {
        EnglishTextNormalizer none = new EnglishTextNormalizer(null);
        assertEquals("", none.apply("(inaudible)"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> none.apply("colour"));
        assertEquals(true, e.getMessage().contains("normalizer.json"), e.getMessage());
    }

    private static void check(UnaryOperator<String> f, String[][] table) {
        List<String> failures = new java.util.ArrayList<>();
        for (String[] row : table) {
            String got = f.apply(row[0]);
            if (!row[1].equals(got)) {
                failures.add("'" + row[0] + "' -> '" + got + "', expected '" + row[1] + "'");
            }
        }
        assertEquals(List.of(), failures, f.getClass().getSimpleName());
    }
}
