package io.transformers4j.tokenizers;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits text on added tokens the way Python's {@code tokenization_utils.Trie.split} does: scanning left to right,
 * the earliest match wins and, among matches starting there, the longest. Returns the pieces in order (no empty
 * pieces), added tokens as pieces of their own.
 */
final class Trie {
    private static final class Node {
        final Map<Character, Node> next = new HashMap<>();
        boolean terminal;
    }

    private final Node root = new Node();
    private int count;

    void add(String word) {
        if (word.isEmpty()) {
            return;
        }
        Node n = root;
        for (int i = 0; i < word.length(); i++) {
            n = n.next.computeIfAbsent(word.charAt(i), c -> new Node());
        }
        if (!n.terminal) {
            count++;
        }
        n.terminal = true;
    }

    List<String> split(String text) {
        List<String> out = new ArrayList<>(3);
        if (count == 0) {
            out.add(text);
            return out;
        }
        int start = 0;
        int i = 0;
        int n = text.length();
        while (i < n) {
            Node node = root;
            int matchEnd = -1;
            for (int j = i; j < n; j++) {
                node = node.next.get(text.charAt(j));
                if (node == null) {
                    break;
                }
                if (node.terminal) {
                    matchEnd = j + 1;
                }
            }
            if (matchEnd > 0) {
                if (i > start) {
                    out.add(text.substring(start, i));
                }
                out.add(text.substring(i, matchEnd));
                start = matchEnd;
                i = matchEnd;
            } else {
                i++;
            }
        }
        if (start < n) {
            out.add(text.substring(start));
        }
        return out;
    }
}
