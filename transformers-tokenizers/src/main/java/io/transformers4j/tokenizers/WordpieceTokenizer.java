package io.transformers4j.tokenizers;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code WordpieceTokenizer}: greedy longest-match-first over the vocabulary, continuations prefixed "##";
 * a word with no full cover (or longer than 100 characters) becomes the unk token.
 */
final class WordpieceTokenizer {

    private final Map<String, Integer> vocab;
    private final String unkToken;
    private final int maxInputCharsPerWord;

    WordpieceTokenizer(Map<String, Integer> vocab, String unkToken, int maxInputCharsPerWord) {
        this.vocab = vocab;
        this.unkToken = unkToken;
        this.maxInputCharsPerWord = maxInputCharsPerWord;
    }

    List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (String token : PyRegex.split(text)) {
            int[] chars = token.codePoints().toArray();
            if (chars.length > maxInputCharsPerWord) {
                out.add(unkToken);
                continue;
            }
            List<String> sub = new ArrayList<>();
            int start = 0;
            boolean bad = false;
            while (start < chars.length) {
                int end = chars.length;
                String cur = null;
                while (start < end) {
                    String substr = new String(chars, start, end - start);
                    if (start > 0) {
                        substr = "##" + substr;
                    }
                    if (vocab.containsKey(substr)) {
                        cur = substr;
                        break;
                    }
                    end--;
                }
                if (cur == null) {
                    bad = true;
                    break;
                }
                sub.add(cur);
                start = end;
            }
            if (bad) {
                out.add(unkToken);
            } else {
                out.addAll(sub);
            }
        }
        return out;
    }
}
