package io.transformers4j.tokenizers;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Whisper's multilingual text normaliser (Python's {@code BasicTextNormalizer} in
 * models/whisper/english_normalizer.py): lower case, drop bracketed and parenthesised words, turn symbols,
 * punctuation and marks into spaces (optionally removing diacritics), optionally put a space between grapheme
 * clusters ({@code split_letters}), collapse whitespace.
 */
public final class BasicTextNormalizer implements UnaryOperator<String> {

    static final Map<String, String> ADDITIONAL_DIACRITICS = Map.ofEntries(Map.entry("œ", "oe"),
            Map.entry("Œ", "OE"), Map.entry("ø", "o"), Map.entry("Ø", "O"), Map.entry("æ", "ae"), Map.entry("Æ", "AE"),
            Map.entry("ß", "ss"), Map.entry("ẞ", "SS"), Map.entry("đ", "d"), Map.entry("Đ", "D"), Map.entry("ð", "d"),
            Map.entry("Ð", "D"), Map.entry("þ", "th"), Map.entry("Þ", "th"), Map.entry("ł", "l"), Map.entry("Ł", "L"));

    private final boolean removeDiacritics;
    private final boolean splitLetters;

    public BasicTextNormalizer(boolean removeDiacritics, boolean splitLetters) {
        this.removeDiacritics = removeDiacritics;
        this.splitLetters = splitLetters;
    }

    private static final Pattern BRACKETS = PyRegex.compile("[<\\[][^>\\]]*[>\\]]");
    private static final Pattern PARENTHESES = PyRegex.compile("\\(([^)]+?)\\)");
    private static final Pattern WHITESPACE = PyRegex.compile("\\s+");
    private static final Pattern GRAPHEME = Pattern.compile("\\X");

    @Override
    public String apply(String s) {
        s = lower(s);
        s = BRACKETS.matcher(s).replaceAll(""); // remove words between brackets
        s = PARENTHESES.matcher(s).replaceAll(""); // remove words between parenthesis
        s = lower(removeDiacritics ? removeSymbolsAndDiacritics(s, "") : removeSymbols(s));
        if (splitLetters) {
            // Python: " ".join(regex.findall(r"\X", s)), one extended grapheme cluster per item
            List<String> graphemes = new ArrayList<>();
            Matcher m = GRAPHEME.matcher(s);
            while (m.find()) {
                graphemes.add(m.group());
            }
            s = String.join(" ", graphemes);
        }
        return WHITESPACE.matcher(s).replaceAll(" ");
    }

    /** Python's {@code str.lower()} (full Unicode mapping, locale-independent). */
    static String lower(String s) {
        return s.toLowerCase(Locale.ROOT);
    }

    /** Python's {@code remove_symbols_and_diacritics}: NFKD, marks dropped, symbols / punctuation to spaces. */
    static String removeSymbolsAndDiacritics(String s, String keep) {
        StringBuilder sb = new StringBuilder();
        Normalizer.normalize(s, Normalizer.Form.NFKD).codePoints().forEach(cp -> {
            String ch = new String(Character.toChars(cp));
            if (keep.contains(ch)) {
                sb.append(ch);
            } else if (ADDITIONAL_DIACRITICS.containsKey(ch)) {
                sb.append(ADDITIONAL_DIACRITICS.get(ch));
            } else if (Character.getType(cp) == Character.NON_SPACING_MARK) {
                // dropped
            } else if (isMarkSymbolOrPunctuation(cp)) {
                sb.append(' ');
            } else {
                sb.append(ch);
            }
        });
        return sb.toString();
    }

    /** Python's {@code remove_symbols}: NFKC, then symbols / punctuation / marks to spaces. */
    static String removeSymbols(String s) {
        StringBuilder sb = new StringBuilder();
        Normalizer.normalize(s, Normalizer.Form.NFKC).codePoints()
                .forEach(cp -> sb.append(isMarkSymbolOrPunctuation(cp) ? " " : new String(Character.toChars(cp))));
        return sb.toString();
    }

    /** Unicode general category M*, S* or P* (Python's {@code unicodedata.category(c)[0] in "MSP"}). */
    static boolean isMarkSymbolOrPunctuation(int cp) {
        return switch (Character.getType(cp)) {
            case Character.NON_SPACING_MARK, Character.ENCLOSING_MARK, Character.COMBINING_SPACING_MARK,
                    Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL, Character.OTHER_SYMBOL,
                    Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.START_PUNCTUATION,
                    Character.END_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION, Character.FINAL_QUOTE_PUNCTUATION,
                    Character.OTHER_PUNCTUATION -> true;
            default -> false;
        };
    }
}
