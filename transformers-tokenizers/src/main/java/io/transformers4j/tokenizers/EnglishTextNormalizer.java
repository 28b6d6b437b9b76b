package io.transformers4j.tokenizers;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python's {@code EnglishTextNormalizer} (models/whisper/english_normalizer.py, OpenAI's Whisper normaliser for
 * English WER): lower case; drop bracketed and parenthesised spans and hesitations (hmm, um, uh...); expand
 * contractions and titles ("won't" → "will not", "Mr" → "mister"); remove symbols and diacritics except the ones
 * numbers need; spelled-out numbers to digits ({@link EnglishNumberNormalizer}); British → American spelling
 * ({@link EnglishSpellingNormalizer}); then drop the currency / percent / period symbols no number uses and collapse
 * whitespace.
 */
public final class EnglishTextNormalizer implements UnaryOperator<String> {

    private static final Pattern BRACKETS = PyRegex.compile("[<\\[][^>\\]]*[>\\]]");
    private static final Pattern PARENTHESES = PyRegex.compile("\\(([^)]+?)\\)");
    private static final Pattern IGNORE = PyRegex.compile("\\b(hmm|mm|mhm|mmm|uh|um)\\b");
    private static final Pattern SPACE_APOSTROPHE = PyRegex.compile("\\s+'");
    private static final Pattern DIGIT_COMMA_DIGIT = PyRegex.compile("(\\d),(\\d)");
    private static final Pattern PERIOD_NOT_BEFORE_DIGIT = PyRegex.compile("\\.([^0-9]|$)");
    private static final Pattern SYMBOL_NOT_BEFORE_DIGIT = PyRegex.compile("[.$¢€£]([^0-9])");
    private static final Pattern PERCENT_NOT_AFTER_DIGIT = PyRegex.compile("([^0-9])%");
    private static final Pattern WHITESPACE = PyRegex.compile("\\s+");
    /** Python's {@code replacers}, applied in this order (later rules see earlier rules' output). */
    private static final Map<Pattern, String> REPLACERS = new LinkedHashMap<>();

    static {
        String[] rules = {
            // common contractions
            "\\bwon't\\b", "will not", "\\bcan't\\b", "can not", "\\blet's\\b", "let us", "\\bain't\\b", "aint",
            "\\by'all\\b", "you all", "\\bwanna\\b", "want to", "\\bgotta\\b", "got to", "\\bgonna\\b", "going to",
            "\\bi'ma\\b", "i am going to", "\\bimma\\b", "i am going to", "\\bwoulda\\b", "would have",
            "\\bcoulda\\b", "could have", "\\bshoulda\\b", "should have", "\\bma'am\\b", "madam",
            // contractions in titles/prefixes
            "\\bmr\\b", "mister ", "\\bmrs\\b", "missus ", "\\bst\\b", "saint ", "\\bdr\\b", "doctor ",
            "\\bprof\\b", "professor ", "\\bcapt\\b", "captain ", "\\bgov\\b", "governor ", "\\bald\\b", "alderman ",
            "\\bgen\\b", "general ", "\\bsen\\b", "senator ", "\\brep\\b", "representative ", "\\bpres\\b",
            "president ", "\\brev\\b", "reverend ", "\\bhon\\b", "honorable ", "\\basst\\b", "assistant ",
            "\\bassoc\\b", "associate ", "\\blt\\b", "lieutenant ", "\\bcol\\b", "colonel ", "\\bjr\\b", "junior ",
            "\\bsr\\b", "senior ", "\\besq\\b", "esquire ",
            // perfect tenses; "'s done" is ambiguous and left alone
            "'d been\\b", " had been", "'s been\\b", " has been", "'d gone\\b", " had gone", "'s gone\\b",
            " has gone", "'d done\\b", " had done", "'s got\\b", " has got",
            // general contractions
            "n't\\b", " not", "'re\\b", " are", "'s\\b", " is", "'d\\b", " would", "'ll\\b", " will", "'t\\b", " not",
            "'ve\\b", " have", "'m\\b", " am",
        };
        for (int i = 0; i < rules.length; i += 2) {
            REPLACERS.put(PyRegex.compile(rules[i]), Matcher.quoteReplacement(rules[i + 1]));
        }
    }

    private final EnglishNumberNormalizer standardizeNumbers = new EnglishNumberNormalizer();
    private final EnglishSpellingNormalizer standardizeSpellings;

    /** {@code englishSpellingMapping}: the checkpoint's normalizer.json (British → American); may be null. */
    public EnglishTextNormalizer(Map<String, String> englishSpellingMapping) {
        this.standardizeSpellings = new EnglishSpellingNormalizer(englishSpellingMapping);
    }

    @Override
    public String apply(String s) {
        s = BasicTextNormalizer.lower(s);
        s = BRACKETS.matcher(s).replaceAll("");
        s = PARENTHESES.matcher(s).replaceAll("");
        s = IGNORE.matcher(s).replaceAll("");
        s = SPACE_APOSTROPHE.matcher(s).replaceAll("'");
        for (Map.Entry<Pattern, String> r : REPLACERS.entrySet()) {
            s = r.getKey().matcher(s).replaceAll(r.getValue());
        }
        s = DIGIT_COMMA_DIGIT.matcher(s).replaceAll("$1$2");
        s = PERIOD_NOT_BEFORE_DIGIT.matcher(s).replaceAll(" $1");
        // keep the symbols numbers need
        s = BasicTextNormalizer.removeSymbolsAndDiacritics(s, ".%$¢€£");
        s = standardizeNumbers.apply(s);
        s = standardizeSpellings.apply(s);
        // now remove prefix/suffix symbols that are not preceded/followed by numbers
        s = SYMBOL_NOT_BEFORE_DIGIT.matcher(s).replaceAll(" $1");
        s = PERCENT_NOT_AFTER_DIGIT.matcher(s).replaceAll("$1 ");
        return WHITESPACE.matcher(s).replaceAll(" ");
    }
}
