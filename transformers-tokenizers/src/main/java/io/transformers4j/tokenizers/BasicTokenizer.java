package io.transformers4j.tokenizers;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Python's {@code BasicTokenizer} (models/bert/tokenization_bert.py): clean the text, space out CJK characters, NFC,
 * split on whitespace, lower-case / strip accents and split on punctuation every token that is not in
 * {@code never_split}. BertTokenizer runs the same steps in Rust; this Java copy is used where Rust has no
 * equivalent: {@code never_split} is decided per whitespace token, after cleaning, which no added-token rule matches.
 */
final class BasicTokenizer {

    private final boolean doLowerCase;
    private final boolean tokenizeChineseChars;
    /** Python's strip_accents: null follows do_lower_case. */
    private final Boolean stripAccents;

    BasicTokenizer(boolean doLowerCase, boolean tokenizeChineseChars, Boolean stripAccents) {
        this.doLowerCase = doLowerCase;
        this.tokenizeChineseChars = tokenizeChineseChars;
        this.stripAccents = stripAccents;
    }

    /** Python's {@code tokenize(text, never_split)}. */
    List<String> tokenize(String text, Set<String> neverSplit) {
        text = cleanText(text);
        if (tokenizeChineseChars) {
            text = tokenizeChineseChars(text);
        }
        // prevents treating the same character with different unicode codepoints as different characters
        text = Normalizer.normalize(text, Normalizer.Form.NFC);
        List<String> splitTokens = new ArrayList<>();
        for (String token : PyRegex.split(text)) {
            if (!neverSplit.contains(token)) {
                if (doLowerCase) {
                    token = BasicTextNormalizer.lower(token);
                    if (!Boolean.FALSE.equals(stripAccents)) {
                        token = stripAccents(token);
                    }
                } else if (Boolean.TRUE.equals(stripAccents)) {
                    token = stripAccents(token);
                }
            }
            splitTokens.addAll(splitOnPunctuation(token, neverSplit));
        }
        return PyRegex.split(String.join(" ", splitTokens));
    }

    /** Python's {@code _run_strip_accents}: NFD, then non-spacing marks dropped. */
    static String stripAccents(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        Normalizer.normalize(text, Normalizer.Form.NFD).codePoints().forEach(cp -> {
            if (Character.getType(cp) != Character.NON_SPACING_MARK) {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }

    /** Python's {@code _run_split_on_punc}: each punctuation character becomes its own token. */
    static List<String> splitOnPunctuation(String text, Set<String> neverSplit) {
        if (neverSplit.contains(text)) {
            return List.of(text);
        }
        List<String> out = new ArrayList<>();
        StringBuilder word = null;
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            i += Character.charCount(cp);
            if (isPunctuation(cp)) {
                if (word != null) {
                    out.add(word.toString());
                    word = null;
                }
                out.add(new String(Character.toChars(cp)));
            } else {
                if (word == null) {
                    word = new StringBuilder();
                }
                word.appendCodePoint(cp);
            }
        }
        if (word != null) {
            out.add(word.toString());
        }
        return out;
    }

    /** Python's {@code _tokenize_chinese_chars}: spaces around every CJK ideograph. */
    static String tokenizeChineseChars(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (isChineseChar(cp)) {
                sb.append(' ').appendCodePoint(cp).append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }

    /** Python's {@code _is_chinese_char}: the CJK Unified Ideographs blocks (not Hangul, Hiragana or Katakana). */
    static boolean isChineseChar(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF)
                || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }

    /** Python's {@code _clean_text}: NUL, U+FFFD and control characters removed, whitespace to ' '. */
    static String cleanText(String text) {
        StringBuilder sb = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                return;
            }
            if (isWhitespace(cp)) {
                sb.append(' ');
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.toString();
    }

    /** Python's {@code _is_whitespace}: space, \t, \n, \r or category Zs. */
    static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r'
                || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    /** Python's {@code _is_control}: a category C* character other than \t, \n, \r. */
    static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') {
            return false;
        }
        return switch (Character.getType(cp)) {
            case Character.CONTROL, Character.FORMAT, Character.UNASSIGNED, Character.PRIVATE_USE,
                    Character.SURROGATE -> true;
            default -> false;
        };
    }

    /** Python's {@code _is_punctuation}: every non-alphanumeric ASCII symbol, and category P*. */
    static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) {
            return true;
        }
        return switch (Character.getType(cp)) {
            case Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                    Character.FINAL_QUOTE_PUNCTUATION, Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }
}
