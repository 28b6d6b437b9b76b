package io.transformers4j.tokenizers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What encoding returns (Python's {@code BatchEncoding}), one row per input text (or pair): {@code input_ids},
 * {@code attention_mask}, {@code token_type_ids}, {@code special_tokens_mask}, {@code offset_mapping},
 * {@code overflowing_tokens} and {@code num_truncated_tokens} where they were asked for. A field that was not
 * returned is {@code null}. Rows have different lengths unless padding made them equal; {@link #toNDList} needs equal
 * lengths.
 */
public final class BatchEncoding {

    /** One encoded input. Arrays are owned by this object; callers must not modify them. */
    public record Row(long[] inputIds, long[] attentionMask, long[] tokenTypeIds, long[] specialTokensMask,
            int[][] offsets, long[] overflowingTokens, Integer numTruncatedTokens) {
    }

    private final List<Row> rows;

    BatchEncoding(List<Row> rows) {
        this.rows = Collections.unmodifiableList(new ArrayList<>(rows));
    }

    public int size() {
        return rows.size();
    }

    public Row row(int i) {
        return rows.get(i);
    }

    public List<Row> rows() {
        return rows;
    }

    public long[][] inputIds() {
        return collect(Row::inputIds);
    }

    public long[][] attentionMask() {
        return collect(Row::attentionMask);
    }

    public long[][] tokenTypeIds() {
        return collect(Row::tokenTypeIds);
    }

    public long[][] specialTokensMask() {
        return collect(Row::specialTokensMask);
    }

    public long[][] overflowingTokens() {
        return collect(Row::overflowingTokens);
    }

    /** (start, end) character offsets per token, {@code [row][token][2]}; null when not asked for. */
    public int[][][] offsetMapping() {
        if (rows.isEmpty() || rows.get(0).offsets() == null) {
            return null;
        }
        int[][][] out = new int[rows.size()][][];
        for (int i = 0; i < out.length; i++) {
            out[i] = rows.get(i).offsets();
        }
        return out;
    }

    public int[] numTruncatedTokens() {
        if (rows.isEmpty() || rows.get(0).numTruncatedTokens() == null) {
            return null;
        }
        return rows.stream().mapToInt(Row::numTruncatedTokens).toArray();
    }

    private long[][] collect(java.util.function.Function<Row, long[]> f) {
        if (rows.isEmpty() || f.apply(rows.get(0)) == null) {
            return null;
        }
        long[][] out = new long[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = f.apply(rows.get(i));
        }
        return out;
    }

    /** The returned fields by their Python names, in Python's order. */
    public Map<String, long[][]> toMap() {
        Map<String, long[][]> m = new LinkedHashMap<>();
        m.put("input_ids", inputIds());
        if (tokenTypeIds() != null) {
            m.put("token_type_ids", tokenTypeIds());
        }
        if (attentionMask() != null) {
            m.put("attention_mask", attentionMask());
        }
        if (specialTokensMask() != null) {
            m.put("special_tokens_mask", specialTokensMask());
        }
        return m;
    }

    /**
     * The field {@code name} (Python name) as an int64 NDArray of shape (batch, seq_len) in {@code manager}.
     * Fails like Python's {@code return_tensors="pt"} when rows have different lengths.
     */
    public NDArray get(String name, NDManager manager) {
        long[][] v = toMap().get(name);
        if (v == null) {
            throw new IllegalArgumentException("This BatchEncoding has no '" + name + "'; it holds " + toMap().keySet());
        }
        int len = v.length == 0 ? 0 : v[0].length;
        long[] flat = new long[v.length * len];
        for (int i = 0; i < v.length; i++) {
            if (v[i].length != len) {
                throw new IllegalStateException("Unable to create tensor, you should probably activate truncation "
                        + "and/or padding with 'padding=True' 'truncation=True' to have batched tensors with the same "
                        + "length. Row 0 of '" + name + "' has " + len + " tokens, row " + i + " has " + v[i].length);
            }
            System.arraycopy(v[i], 0, flat, i * len, len);
        }
        NDArray a = manager.create(flat, new Shape(v.length, len));
        a.setName(name);
        return a;
    }

    /** Every returned field as an NDArray, in {@link #toMap()} order (input_ids first). */
    public NDList toNDList(NDManager manager) {
        NDList list = new NDList();
        for (String k : toMap().keySet()) {
            list.add(get(k, manager));
        }
        return list;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("BatchEncoding{");
        toMap().forEach((k, v) -> sb.append(k).append('=').append(java.util.Arrays.deepToString(v)).append(", "));
        return sb.append("rows=").append(rows.size()).append('}').toString();
    }
}
