package io.transformers4j.tokenizers;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python {@code re} patterns on str, compiled for java.util.regex with Python's meaning: {@code \s} is
 * {@code str.isspace()} (which includes U+001C..U+001F, unlike Java's), {@code \d} any Unicode decimal digit,
 * {@code \w} letters, numbers and '_', {@code \b} a boundary between those, {@code .} and {@code $} treat only
 * '\n' as a line end. The Whisper normalisers are regex pipelines, so these details decide their output.
 */
final class PyRegex {
    private PyRegex() {}

    /** Python's whitespace ({@code str.isspace}, {@code \s}, {@code str.split()}). */
    static final String WS = "[\\t\\n\\x0B\\f\\r\\x1C-\\x1F \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F"
            + "\\u205F\\u3000]";
    /** Python's {@code \w} for str patterns: alphanumeric ({@code str.isalnum}) or '_'. */
    static final String WORD = "[\\p{L}\\p{N}_]";
    static final String BOUNDARY = "(?:(?<=" + WORD + ")(?!" + WORD + ")|(?<!" + WORD + ")(?=" + WORD + "))";

    /** Compiles a Python pattern (raw-string source) after translating the escapes whose meaning differs. */
    static Pattern compile(String python) {
        StringBuilder out = new StringBuilder(python.length() + 32);
        boolean inClass = false;
        for (int i = 0; i < python.length(); i++) {
            char c = python.charAt(i);
            if (c == '\\' && i + 1 < python.length()) {
                char e = python.charAt(++i);
                switch (e) {
                    case 'd' -> out.append("\\p{Nd}");
                    case 's', 'w', 'b' -> {
                        if (inClass) {
                            throw new IllegalArgumentException("\\" + e + " inside a character class is not"
                                    + " translated: " + python);
                        }
                        out.append(e == 's' ? WS : e == 'w' ? WORD : BOUNDARY);
                    }
                    default -> out.append(c).append(e);
                }
            } else {
                if (c == '[' && !inClass) {
                    inClass = true;
                    out.append(c);
                    // a ']' right after '[' or '[^' is a literal member, as in Python
                    if (i + 1 < python.length() && python.charAt(i + 1) == '^') {
                        out.append('^');
                        i++;
                    }
                    if (i + 1 < python.length() && python.charAt(i + 1) == ']') {
                        out.append("\\]");
                        i++;
                    }
                    continue;
                }
                if (c == ']' && inClass) {
                    inClass = false;
                } else if (c == '[' && inClass) {
                    // Java would read a nested class; Python reads a literal '['
                    out.append('\\');
                }
                out.append(c);
            }
        }
        return Pattern.compile(out.toString(), Pattern.UNIX_LINES);
    }

    /** {@code re.sub(pattern, fn, s)}: the function's result is inserted literally. */
    static String sub(Pattern p, Function<MatchResult, String> fn, String s) {
        return p.matcher(s).replaceAll(m -> Matcher.quoteReplacement(fn.apply(m)));
    }

    /** Python's {@code str.isspace()} for one code point. */
    static boolean isSpace(int cp) {
        return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680
                || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
                || cp == 0x3000;
    }

    /** Python's {@code str.split()}: runs of whitespace separate, no empty strings. */
    static List<String> split(String s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        int n = s.length();
        while (i < n) {
            while (i < n && isSpace(s.charAt(i))) {
                i++;
            }
            int start = i;
            while (i < n && !isSpace(s.charAt(i))) {
                i++;
            }
            if (i > start) {
                out.add(s.substring(start, i));
            }
        }
        return out;
    }

    /** Python's {@code str.strip()}. */
    static String strip(String s) {
        int a = 0;
        int b = s.length();
        while (a < b && isSpace(s.charAt(a))) {
            a++;
        }
        while (b > a && isSpace(s.charAt(b - 1))) {
            b--;
        }
        return s.substring(a, b);
    }
}
