package io.transformers4j.tokenizers;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Python's {@code EnglishNumberNormalizer} (models/whisper/english_normalizer.py, from OpenAI's Whisper): spelled-out
 * numbers become arabic numbers ("twenty one" → "21", "one oh one" → "101", "two point five million" → "2500000"),
 * suffixes are kept ("nineteen fifties" → "1950s", "thirty first" → "31st"), currency words become prefix symbols
 * ("two dollars and seventy cents" → "$2.70"), "percent" becomes '%', "&lt;n&gt; and a half" becomes "&lt;n&gt;.5",
 * and "1"/"1s" are written "one"/"ones". A word-by-word state machine; values are Python ints (arbitrarily large,
 * here {@link BigInteger}) or strings (digit strings built by concatenation), and the port keeps that distinction
 * because the output depends on it.
 */
public final class EnglishNumberNormalizer implements UnaryOperator<String> {

    /** A suffixed number word: its value and the suffix it keeps ("s", "st", "nd", "rd", "th"). */
    private record Suffixed(BigInteger value, String suffix) {
    }

    private static final Set<String> ZEROS = Set.of("o", "oh", "zero");
    private static final Map<String, Integer> ONES = new LinkedHashMap<>();
    private static final Map<String, Suffixed> ONES_SUFFIXED = new HashMap<>();
    private static final Map<String, Integer> TENS = new LinkedHashMap<>();
    private static final Map<String, Suffixed> TENS_SUFFIXED = new HashMap<>();
    private static final Map<String, BigInteger> MULTIPLIERS = new LinkedHashMap<>();
    private static final Map<String, Suffixed> MULTIPLIERS_SUFFIXED = new HashMap<>();
    private static final Set<String> DECIMALS = new HashSet<>();
    private static final Map<String, String> PRECEDING_PREFIXERS = Map.of("minus", "-", "negative", "-", "plus", "+",
            "positive", "+");
    private static final Map<String, String> FOLLOWING_PREFIXERS = Map.of("pound", "£", "pounds", "£", "euro", "€",
            "euros", "€", "dollar", "$", "dollars", "$", "cent", "¢", "cents", "¢");
    private static final Set<Character> PREFIXES = Set.of('-', '+', '£', '€', '$', '¢');
    /** "per" only becomes '%' when "cent" follows; "percent" always does. */
    private static final Map<String, String> PER_SUFFIXER = Map.of("cent", "%");
    private static final Set<String> SUFFIXERS = Set.of("per", "percent");
    private static final Set<String> SPECIALS = Set.of("and", "double", "triple", "point");
    private static final Set<String> WORDS = new HashSet<>();

    static {
        String[] ones = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
            "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"};
        for (int i = 0; i < ones.length; i++) {
            ONES.put(ones[i], i + 1);
        }
        ONES.forEach((name, v) -> ONES_SUFFIXED.put(name.equals("six") ? "sixes" : name + "s", suffixed(v, "s")));
        ONES_SUFFIXED.put("zeroth", suffixed(0, "th"));
        ONES_SUFFIXED.put("first", suffixed(1, "st"));
        ONES_SUFFIXED.put("second", suffixed(2, "nd"));
        ONES_SUFFIXED.put("third", suffixed(3, "rd"));
        ONES_SUFFIXED.put("fifth", suffixed(5, "th"));
        ONES_SUFFIXED.put("twelfth", suffixed(12, "th"));
        // Python's rule, spelling included: "eight" + "h", "nine" + "th" = "nineth" ("ninth" is not a number word).
        ONES.forEach((name, v) -> {
            if (v > 3 && v != 5 && v != 12) {
                ONES_SUFFIXED.put(name + (name.endsWith("t") ? "h" : "th"), suffixed(v, "th"));
            }
        });
        String[] tens = {"twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"};
        for (int i = 0; i < tens.length; i++) {
            TENS.put(tens[i], 20 + 10 * i);
        }
        TENS.forEach((name, v) -> {
            TENS_SUFFIXED.put(name.replace("y", "ies"), suffixed(v, "s"));
            TENS_SUFFIXED.put(name.replace("y", "ieth"), suffixed(v, "th"));
        });
        String[] multipliers = {"hundred", "thousand", "million", "billion", "trillion", "quadrillion",
            "quintillion", "sextillion", "septillion", "octillion", "nonillion", "decillion"};
        MULTIPLIERS.put(multipliers[0], BigInteger.valueOf(100));
        for (int i = 1; i < multipliers.length; i++) {
            MULTIPLIERS.put(multipliers[i], BigInteger.TEN.pow(3 * i));
        }
        MULTIPLIERS.forEach((name, v) -> {
            MULTIPLIERS_SUFFIXED.put(name + "s", new Suffixed(v, "s"));
            MULTIPLIERS_SUFFIXED.put(name + "th", new Suffixed(v, "th"));
        });
        DECIMALS.addAll(ONES.keySet());
        DECIMALS.addAll(TENS.keySet());
        DECIMALS.addAll(ZEROS);
        WORDS.addAll(ZEROS);
        WORDS.addAll(ONES.keySet());
        WORDS.addAll(ONES_SUFFIXED.keySet());
        WORDS.addAll(TENS.keySet());
        WORDS.addAll(TENS_SUFFIXED.keySet());
        WORDS.addAll(MULTIPLIERS.keySet());
        WORDS.addAll(MULTIPLIERS_SUFFIXED.keySet());
        WORDS.addAll(PRECEDING_PREFIXERS.keySet());
        WORDS.addAll(FOLLOWING_PREFIXERS.keySet());
        WORDS.addAll(SUFFIXERS);
        WORDS.addAll(SPECIALS);
    }

    private static Suffixed suffixed(int v, String suffix) {
        return new Suffixed(BigInteger.valueOf(v), suffix);
    }

    private static final Pattern NUMERIC = PyRegex.compile("\\d+(\\.\\d+)?");
    private static final Pattern AND_A_HALF = PyRegex.compile("\\band\\s+a\\s+half\\b");
    private static final Pattern LETTER_DIGIT = PyRegex.compile("([a-z])([0-9])");
    private static final Pattern DIGIT_LETTER = PyRegex.compile("([0-9])([a-z])");
    private static final Pattern SPACED_SUFFIX = PyRegex.compile("([0-9])\\s+(st|nd|rd|th|s)\\b");
    private static final Pattern CENTS_AFTER_CURRENCY = PyRegex.compile("([€£$])([0-9]+) (?:and )?¢([0-9]{1,2})\\b");
    private static final Pattern ZERO_CURRENCY = PyRegex.compile("[€£$]0.([0-9]{1,2})\\b");
    private static final Pattern ONE = PyRegex.compile("\\b1(s?)\\b");
    /** Python's Fraction(str) grammar for the strings this class builds: sign, digits, decimals, exponent. */
    private static final Pattern FRACTION = Pattern.compile(
            "[-+]?(?=[0-9]|\\.[0-9])[0-9]*(?:\\.[0-9]*)?(?:[eE][-+]?[0-9]+)?");

    @Override
    public String apply(String s) {
        s = preprocess(s);
        s = String.join(" ", processWords(PyRegex.split(s)));
        return postprocess(s);
    }

    /** Python's {@code preprocess}: "&lt;n&gt; and a half" → "&lt;n&gt; point five"; digits and letters apart. */
    String preprocess(String s) {
        List<String> results = new ArrayList<>();
        String[] segments = AND_A_HALF.split(s, -1);
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            if (PyRegex.strip(segment).isEmpty()) {
                continue;
            }
            results.add(segment);
            if (i != segments.length - 1) {
                List<String> words = PyRegex.split(segment);
                String lastWord = words.get(words.size() - 1);
                results.add(DECIMALS.contains(lastWord) || MULTIPLIERS.containsKey(lastWord) ? "point five"
                        : "and a half");
            }
        }
        s = String.join(" ", results);
        s = LETTER_DIGIT.matcher(s).replaceAll("$1 $2");
        s = DIGIT_LETTER.matcher(s).replaceAll("$1 $2");
        return SPACED_SUFFIX.matcher(s).replaceAll("$1$2");
    }

    /** Python's {@code postprocess}: "$2 and ¢7" → "$2.07", "$0.36" → "¢36", "1" → "one". */
    String postprocess(String s) {
        s = PyRegex.sub(CENTS_AFTER_CURRENCY, m -> m.group(1) + m.group(2) + "."
                + String.format("%02d", Integer.parseInt(m.group(3))), s);
        s = PyRegex.sub(ZERO_CURRENCY, m -> "¢" + Integer.parseInt(m.group(1)), s);
        return ONE.matcher(s).replaceAll("one$1");
    }

    /** Python's {@code process_words} generator, collected. */
    List<String> processWords(List<String> words) {
        return new WordMachine().run(words);
    }

    /** The state of one {@code process_words} call: a pending prefix symbol and value. */
    private static final class WordMachine {
        private final List<String> out = new ArrayList<>();
        private String prefix;
        /** null, a BigInteger (Python int) or a String (Python str). */
        private Object value;

        /** Python's {@code output}: emits prefix + result and clears both. */
        private void output(Object result) {
            String r = str(result);
            if (prefix != null) {
                r = prefix + r;
            }
            value = null;
            prefix = null;
            out.add(r);
        }

        List<String> run(List<String> words) {
            boolean skip = false;
            int n = words.size();
            for (int i = 0; i < n; i++) {
                String current = words.get(i);
                String prev = i != 0 ? words.get(i - 1) : null;
                String next = i != n - 1 ? words.get(i + 1) : null;
                if (skip) {
                    skip = false;
                    continue;
                }
                boolean nextIsNumeric = next != null && NUMERIC.matcher(next).matches();
                boolean hasPrefix = PREFIXES.contains(current.charAt(0));
                String currentWithoutPrefix = hasPrefix ? current.substring(1) : current;
                if (NUMERIC.matcher(currentWithoutPrefix).matches()) {
                    // arabic numbers (potentially with signs and fractions)
                    BigDecimal f = toFraction(currentWithoutPrefix);
                    if (f == null) {
                        throw new IllegalStateException("Converting the fraction failed: " + currentWithoutPrefix);
                    }
                    if (value != null) {
                        if (value instanceof String v && v.endsWith(".")) {
                            // concatenate decimals / ip address components
                            value = v + current;
                            continue;
                        }
                        output(value);
                    }
                    prefix = hasPrefix ? current.substring(0, 1) : prefix;
                    value = isInteger(f) ? f.toBigIntegerExact() : currentWithoutPrefix;
                } else if (!WORDS.contains(current)) {
                    // non-numeric words
                    if (value != null) {
                        output(value);
                    }
                    output(current);
                } else if (ZEROS.contains(current)) {
                    value = orEmpty(value) + "0";
                } else if (ONES.containsKey(current)) {
                    int ones = ONES.get(current);
                    if (value == null) {
                        value = BigInteger.valueOf(ones);
                    } else if (value instanceof String || in(ONES, prev)) {
                        if (in(TENS, prev) && ones < 10) {
                            // replace the last zero with the digit
                            value = dropLast((String) value) + ones;
                        } else {
                            value = str(value) + ones;
                        }
                    } else {
                        BigInteger v = (BigInteger) value;
                        int base = ones < 10 ? 10 : 100; // eleven to nineteen fill two digits
                        value = v.mod(BigInteger.valueOf(base)).signum() == 0 ? v.add(BigInteger.valueOf(ones))
                                : v + String.valueOf(ones);
                    }
                } else if (ONES_SUFFIXED.containsKey(current)) {
                    // ordinal or cardinal; yield the number right away
                    Suffixed sf = ONES_SUFFIXED.get(current);
                    int ones = sf.value().intValue();
                    if (value == null) {
                        output(ones + sf.suffix());
                    } else if (value instanceof String || in(ONES, prev)) {
                        if (in(TENS, prev) && ones < 10) {
                            output(dropLast((String) value) + ones + sf.suffix());
                        } else {
                            output(str(value) + ones + sf.suffix());
                        }
                    } else {
                        BigInteger v = (BigInteger) value;
                        int base = ones < 10 ? 10 : 100;
                        output(v.mod(BigInteger.valueOf(base)).signum() == 0
                                ? v.add(sf.value()) + sf.suffix() : v.toString() + ones + sf.suffix());
                    }
                    value = null;
                } else if (TENS.containsKey(current)) {
                    int tens = TENS.get(current);
                    if (value == null) {
                        value = BigInteger.valueOf(tens);
                    } else if (value instanceof String v) {
                        value = v + tens;
                    } else {
                        BigInteger v = (BigInteger) value;
                        value = v.mod(BigInteger.valueOf(100)).signum() == 0 ? v.add(BigInteger.valueOf(tens))
                                : v.toString() + tens;
                    }
                } else if (TENS_SUFFIXED.containsKey(current)) {
                    // ordinal or cardinal; yield the number right away
                    Suffixed sf = TENS_SUFFIXED.get(current);
                    if (value == null) {
                        output(sf.value() + sf.suffix());
                    } else if (value instanceof String v) {
                        output(v + sf.value() + sf.suffix());
                    } else {
                        BigInteger v = (BigInteger) value;
                        output(v.mod(BigInteger.valueOf(100)).signum() == 0 ? v.add(sf.value()) + sf.suffix()
                                : v.toString() + sf.value() + sf.suffix());
                    }
                } else if (MULTIPLIERS.containsKey(current)) {
                    BigInteger multiplier = MULTIPLIERS.get(current);
                    if (value == null) {
                        value = multiplier;
                    } else if (value instanceof String || ((BigInteger) value).signum() == 0) {
                        BigDecimal f = value instanceof String v ? toFraction(v) : BigDecimal.ZERO;
                        BigDecimal p = f == null ? null : f.multiply(new BigDecimal(multiplier));
                        if (p != null && isInteger(p)) {
                            value = p.toBigIntegerExact();
                        } else {
                            output(value);
                            value = multiplier;
                        }
                    } else {
                        value = timesMultiplier((BigInteger) value, multiplier);
                    }
                } else if (MULTIPLIERS_SUFFIXED.containsKey(current)) {
                    Suffixed sf = MULTIPLIERS_SUFFIXED.get(current);
                    if (value == null) {
                        output(sf.value() + sf.suffix());
                    } else if (value instanceof String v) {
                        BigDecimal f = toFraction(v);
                        BigDecimal p = f == null ? null : f.multiply(new BigDecimal(sf.value()));
                        if (p != null && isInteger(p)) {
                            output(p.toBigIntegerExact() + sf.suffix());
                        } else {
                            output(value);
                            output(sf.value() + sf.suffix());
                        }
                    } else {
                        value = timesMultiplier((BigInteger) value, sf.value());
                        output(value + sf.suffix());
                    }
                    value = null;
                } else if (PRECEDING_PREFIXERS.containsKey(current)) {
                    // apply prefix (positive, minus, etc.) if it precedes a number
                    if (value != null) {
                        output(value);
                    }
                    if ((next != null && WORDS.contains(next)) || nextIsNumeric) {
                        prefix = PRECEDING_PREFIXERS.get(current);
                    } else {
                        output(current);
                    }
                } else if (FOLLOWING_PREFIXERS.containsKey(current)) {
                    // apply prefix (dollars, cents, etc.) only after a number
                    if (value != null) {
                        prefix = FOLLOWING_PREFIXERS.get(current);
                        output(value);
                    } else {
                        output(current);
                    }
                } else if (SUFFIXERS.contains(current)) {
                    // apply suffix symbols (percent -> '%')
                    if (value != null) {
                        if (current.equals("per")) {
                            if (next != null && PER_SUFFIXER.containsKey(next)) {
                                output(str(value) + PER_SUFFIXER.get(next));
                                skip = true;
                            } else {
                                output(value);
                                output(current);
                            }
                        } else {
                            output(str(value) + "%");
                        }
                    } else {
                        output(current);
                    }
                } else if (SPECIALS.contains(current)) {
                    if (!(next != null && WORDS.contains(next)) && !nextIsNumeric) {
                        // apply special handling only if the next word can be numeric
                        if (value != null) {
                            output(value);
                        }
                        output(current);
                    } else if (current.equals("and")) {
                        // ignore "and" after hundreds, thousands, etc.
                        if (!in(MULTIPLIERS, prev)) {
                            if (value != null) {
                                output(value);
                            }
                            output(current);
                        }
                    } else if (current.equals("double") || current.equals("triple")) {
                        if (in(ONES, next) || (next != null && ZEROS.contains(next))) {
                            int repeats = current.equals("double") ? 2 : 3;
                            int ones = ONES.getOrDefault(next, 0);
                            value = orEmpty(value) + String.valueOf(ones).repeat(repeats);
                            skip = true;
                        } else {
                            if (value != null) {
                                output(value);
                            }
                            output(current);
                        }
                    } else if (current.equals("point")) {
                        if ((next != null && DECIMALS.contains(next)) || nextIsNumeric) {
                            value = orEmpty(value) + ".";
                        }
                    }
                }
            }
            if (value != null) {
                output(value);
            }
            return out;
        }
    }

    private static boolean in(Map<String, ?> m, String key) {
        return key != null && m.containsKey(key);
    }

    /** Python's {@code str(v)} for an int or str value. */
    private static String str(Object v) {
        return v instanceof BigInteger b ? b.toString() : (String) v;
    }

    /** Python's {@code str(value or "")}: None, 0 and "" are falsy. */
    private static String orEmpty(Object v) {
        if (v == null || (v instanceof BigInteger b && b.signum() == 0)) {
            return "";
        }
        return str(v);
    }

    /** Python's {@code s[:-1]} (one code point). */
    private static String dropLast(String s) {
        return s.isEmpty() ? s : s.substring(0, s.offsetByCodePoints(s.length(), -1));
    }

    /** "three thousand two hundred": the hundreds below the last thousand get multiplied. */
    private static BigInteger timesMultiplier(BigInteger value, BigInteger multiplier) {
        BigInteger thousand = BigInteger.valueOf(1000);
        BigInteger before = value.divide(thousand).multiply(thousand);
        BigInteger residual = value.mod(thousand);
        return before.add(residual.multiply(multiplier));
    }

    private static boolean isInteger(BigDecimal d) {
        return d.signum() == 0 || d.stripTrailingZeros().scale() <= 0;
    }

    /** Python's {@code Fraction(s)} or None: exact, so "2.5" times a million is an integer. */
    static BigDecimal toFraction(String s) {
        StringBuilder ascii = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> ascii.append(Character.isDigit(cp) ? (char) ('0' + Character.digit(cp, 10))
                : new String(Character.toChars(cp))));
        String t = PyRegex.strip(ascii.toString());
        if (!FRACTION.matcher(t).matches()) {
            return null;
        }
        return new BigDecimal(t.endsWith(".") ? t + "0" : t.replace(".e", ".0e").replace(".E", ".0E"));
    }
}
