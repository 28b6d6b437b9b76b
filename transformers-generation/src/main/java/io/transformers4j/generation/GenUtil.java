package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Helpers shared by the processors: host copies of ids and scores, Python-style formatting for messages. */
final class GenUtil {
    private GenUtil() {}

    /** {@code input_ids} (batch, seq) as one long[] per row; a 1-D tensor is one row. */
    static long[][] rows(NDArray ids, String name) {
        if (ids == null) {
            throw new IllegalArgumentException("`" + name + "` is required");
        }
        long[] shape = ids.getShape().getShape();
        if (shape.length == 1) {
            return new long[][] {ids.toType(DataType.INT64, false).toLongArray()};
        }
        if (shape.length != 2) {
            throw new IllegalArgumentException("`" + name + "` must have shape (batch_size, sequence_length), got "
                    + ids.getShape());
        }
        long[] flat = ids.toType(DataType.INT64, false).toLongArray();
        int b = (int) shape[0];
        int s = (int) shape[1];
        long[][] out = new long[b][s];
        for (int i = 0; i < b; i++) {
            System.arraycopy(flat, i * s, out[i], 0, s);
        }
        return out;
    }

    /** The sequence length of {@code input_ids} (its last dimension, Python's {@code input_ids.shape[-1]}). */
    static int seqLen(NDArray ids) {
        long[] shape = ids.getShape().getShape();
        return (int) shape[shape.length - 1];
    }

    /** The size of {@code axis} (negative counts from the end, as in Python). */
    static long dim(NDArray x, int axis) {
        int n = x.getShape().dimension();
        return x.getShape().get(axis < 0 ? axis + n : axis);
    }

    static int batch(NDArray x) {
        return (int) x.getShape().get(0);
    }

    /** Checks that scores are (batch, vocab) and returns vocab. */
    static int vocab(NDArray scores) {
        if (scores.getShape().dimension() != 2) {
            throw new IllegalArgumentException("`scores` must have shape (batch_size, vocab_size), got "
                    + scores.getShape());
        }
        return (int) scores.getShape().get(1);
    }

    static float[] floats(NDArray scores) {
        return scores.getDataType() == DataType.FLOAT32 ? scores.toFloatArray()
                : scores.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /** A float32 tensor with {@code scores}' shape, in {@code scores}' manager (the caller's). */
    static NDArray like(NDArray scores, float[] data) {
        return like(scores, data, scores.getShape());
    }

    static NDArray like(NDArray scores, float[] data, Shape shape) {
        NDManager m = scores.getManager();
        NDArray out = m.create(data, shape);
        if (scores.getDataType() != DataType.FLOAT32) {
            NDArray cast = out.toType(scores.getDataType(), false);
            out.close();
            return cast;
        }
        return out;
    }

    /** Python's negative-index rule for a column; raises torch's message when out of range. */
    static int column(long token, int vocab) {
        long c = token < 0 ? token + vocab : token;
        if (c < 0 || c >= vocab) {
            throw new IndexOutOfBoundsException("index " + token + " is out of bounds for dimension 1 with size " + vocab);
        }
        return (int) c;
    }

    /** A copy of {@code scores} with the given columns set to {@code value} in every row. */
    static NDArray fillColumns(NDArray scores, int[] tokens, float value) {
        int v = vocab(scores);
        float[] s = floats(scores);
        int b = s.length / Math.max(v, 1);
        int[] cols = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            cols[i] = column(tokens[i], v);
        }
        for (int r = 0; r < b; r++) {
            for (int c : cols) {
                s[r * v + c] = value;
            }
        }
        return like(scores, s);
    }

    static int[] toIntArray(Collection<? extends Number> values, String name) {
        if (values == null) {
            throw new IllegalArgumentException("`" + name + "` is required");
        }
        int[] out = new int[values.size()];
        int i = 0;
        for (Number n : values) {
            if (n == null) {
                throw new IllegalArgumentException("`" + name + "` holds a null token id: " + values);
            }
            out[i++] = n.intValue();
        }
        return out;
    }

    static List<Integer> list(int... values) {
        List<Integer> out = new ArrayList<>(values.length);
        for (int v : values) {
            out.add(v);
        }
        return out;
    }

    /** Python's {@code repr} of a float: shortest round-trip digits, {@code 1e-05} style exponents. */
    static String pyFloat(double d) {
        if (Double.isNaN(d)) {
            return "nan";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "inf" : "-inf";
        }
        if (d == 0) {
            return (1 / d < 0) ? "-0.0" : "0.0";
        }
        java.math.BigDecimal bd = new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros();
        String digits = bd.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - bd.scale(); // decimal exponent of the first digit
        String sign = d < 0 ? "-" : "";
        if (exp < -4 || exp >= 16) {
            String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return sign + mant + "e" + (exp < 0 ? "-" : "+") + String.format(Locale.ROOT, "%02d", Math.abs(exp));
        }
        String plain = bd.abs().toPlainString();
        if (!plain.contains(".")) {
            plain = plain + ".0";
        }
        return sign + plain;
    }

    /** Python's repr of a value built from JSON-like Java objects (lists, maps, numbers, strings, booleans). */
    static String pyRepr(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (o instanceof Double || o instanceof Float) {
            return pyFloat(((Number) o).doubleValue());
        }
        if (o instanceof Number) {
            return o.toString();
        }
        if (o instanceof String s) {
            return "'" + s + "'";
        }
        if (o instanceof int[] a) {
            List<Object> l = new ArrayList<>();
            for (int x : a) {
                l.add(x);
            }
            return pyRepr(l);
        }
        if (o instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(pyRepr(l.get(i)));
            }
            return sb.append(']').toString();
        }
        if (o instanceof Map<?, ?> m) {
            StringBuilder sb = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : m.entrySet()) {
                sb.append(first ? "" : ", ").append(pyTupleOrRepr(e.getKey())).append(": ").append(pyRepr(e.getValue()));
                first = false;
            }
            return sb.append('}').toString();
        }
        return o.toString();
    }

    /** Python's repr of a set of strings: {@code {'A', 'B'}}. */
    static String pySet(Collection<String> values) {
        StringBuilder sb = new StringBuilder("{");
        boolean first = true;
        for (String v : values) {
            sb.append(first ? "" : ", ").append(pyRepr(v));
            first = false;
        }
        return sb.append('}').toString();
    }

    /** A list used as a dict key is a tuple in Python: {@code (5,)}, {@code (3, 6)}. */
    static String pyTupleOrRepr(Object key) {
        if (key instanceof List<?> l) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < l.size(); i++) {
                sb.append(i == 0 ? "" : ", ").append(pyRepr(l.get(i)));
            }
            if (l.size() == 1) {
                sb.append(',');
            }
            return sb.append(')').toString();
        }
        return pyRepr(key);
    }
}
