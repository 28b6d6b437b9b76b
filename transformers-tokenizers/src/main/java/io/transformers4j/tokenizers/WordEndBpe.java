package io.transformers4j.tokenizers;

import ai.djl.huggingface.tokenizers.Encoding;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The word-end BPE of fairseq-style vocabularies (BlenderbotSmall, Speech2Text2) on the Rust BPE model. The slow
 * tokenizers mark the last symbol of a word with "</w>" while merging and write non-final pieces as "piece@@"; the
 * Rust BPE knows the "</w>" suffix but not the "@@" form. So the Rust vocabulary holds the merge symbols themselves
 * ("h", "o</w>", and every intermediate merge result), each with a private id, and the Java side turns the result back
 * into the slow tokens ("h@@", "o"), whose ids come from vocab.json with the unk fallback, as in Python. Characters
 * the Rust vocabulary lacks come back as its unk and are recovered from the word text.
 */
final class WordEndBpe implements AutoCloseable {

    static final String SUFFIX = "</w>";
    private static final String INTERNAL_UNK = "\u0000unk\u0000";

    private final HfBackend backend;
    private final long internalUnkId;
    final List<String[]> merges;

    WordEndBpe(Map<String, Integer> slowVocab, List<String[]> merges) throws IOException {
        this.merges = merges;
        Map<String, Integer> internal = new LinkedHashMap<>();
        int[] next = {0};
        java.util.function.Consumer<String> add = s -> internal.computeIfAbsent(s, k -> next[0]++);
        for (String token : slowVocab.keySet()) {
            String surface = token.endsWith("@@") ? token.substring(0, token.length() - 2) : token;
            surface.codePoints().forEach(cp -> {
                String c = new String(Character.toChars(cp));
                add.accept(c);
                add.accept(c + SUFFIX);
            });
        }
        for (String[] m : merges) {
            add.accept(m[0]);
            add.accept(m[1]);
            add.accept(m[0] + m[1]);
            for (String part : new String[] {m[0], m[1]}) {
                String bare = part.endsWith(SUFFIX) ? part.substring(0, part.length() - SUFFIX.length()) : part;
                bare.codePoints().forEach(cp -> add.accept(new String(Character.toChars(cp))));
            }
        }
        add.accept(INTERNAL_UNK);
        internalUnkId = internal.get(INTERNAL_UNK);
        ObjectNode json = SlowConverters.skeleton(List.of());
        json.set("model", SlowConverters.bpe(internal, merges, INTERNAL_UNK, SUFFIX));
        backend = HfBackend.fromJson(json);
    }

    /** The slow tokens of {@code words} (each already lower-cased / split as the slow tokenizer does). */
    List<String> tokenize(List<String> words) {
        List<String> out = new ArrayList<>();
        if (words.isEmpty()) {
            return out;
        }
        Encoding e = backend.encodeWords(words.toArray(new String[0]));
        long[] ids = e.getIds();
        String[] tokens = e.getTokens();
        long[] wordIds = e.getWordIds();
        int currentWord = -1;
        int pos = 0;
        for (int k = 0; k < ids.length; k++) {
            int w = (int) wordIds[k];
            if (w != currentWord) {
                currentWord = w;
                pos = 0;
            }
            boolean last = k + 1 == ids.length || wordIds[k + 1] != w;
            String word = words.get(w);
            String surface;
            if (ids[k] == internalUnkId) {
                int cp = word.codePointAt(pos);
                surface = new String(Character.toChars(cp));
            } else {
                surface = tokens[k].endsWith(SUFFIX) ? tokens[k].substring(0, tokens[k].length() - SUFFIX.length())
                        : tokens[k];
            }
            pos = word.offsetByCodePoints(pos, surface.codePointCount(0, surface.length()));
            out.add(last ? surface : surface + "@@");
        }
        return out;
    }

    static Map<Integer, String> invert(Map<String, Integer> vocab) {
        Map<Integer, String> m = new HashMap<>();
        vocab.forEach((t, i) -> m.put(i, t));
        return m;
    }

    @Override
    public void close() {
        backend.close();
    }
}
