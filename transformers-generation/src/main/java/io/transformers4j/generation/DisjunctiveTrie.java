package io.transformers4j.generation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A trie of token sequences, children in insertion order (as Python's dicts). Port of {@code DisjunctiveTrie}. */
public final class DisjunctiveTrie {
    private static final class Node {
        final Map<Integer, Node> children = new LinkedHashMap<>();
    }

    private final Node root = new Node();
    private final int maxHeight;

    public DisjunctiveTrie(List<List<Integer>> nestedTokenIds) {
        this(nestedTokenIds, true);
    }

    public DisjunctiveTrie(List<List<Integer>> nestedTokenIds, boolean noSubsets) {
        int h = 0;
        for (List<Integer> ids : nestedTokenIds) {
            h = Math.max(h, ids.size());
            Node level = root;
            for (int t : ids) {
                level = level.children.computeIfAbsent(t, k -> new Node());
            }
        }
        this.maxHeight = h;
        if (noSubsets && countLeaves(root) != nestedTokenIds.size()) {
            throw new IllegalArgumentException("Each list in `nested_token_ids` can't be a complete subset of another "
                    + "list, but is " + GenUtil.pyRepr(nestedTokenIds) + ".");
        }
    }

    public int maxHeight() { return maxHeight; }

    /** The tokens that continue {@code currentSeq} in the trie (insertion order). */
    public List<Integer> nextTokens(List<Integer> currentSeq) {
        Node start = root;
        for (int t : currentSeq) {
            start = start.children.get(t);
            if (start == null) {
                throw new IllegalArgumentException("sequence " + currentSeq + " is not a path of the trie");
            }
        }
        return new ArrayList<>(start.children.keySet());
    }

    public boolean reachedLeaf(List<Integer> currentSeq) {
        return nextTokens(currentSeq).isEmpty();
    }

    private static int countLeaves(Node n) {
        if (n.children.isEmpty()) {
            return 1;
        }
        int s = 0;
        for (Node c : n.children.values()) {
            s += countLeaves(c);
        }
        return s;
    }
}
