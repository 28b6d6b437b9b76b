package io.transformers4j.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;

/** Element-wise comparison with the fixtures' rule: |a - e| <= atol + rtol * |e|; equal infinities are equal. */
public final class Tensors {
    private Tensors() {}

    public static void assertClose(String name, NDArray actual, NDArray expected, double atol, double rtol) {
        if (actual == null) {
            throw new AssertionError(name + ": the port produced no such output");
        }
        long[] as = actual.getShape().getShape();
        long[] es = expected.getShape().getShape();
        if (!Arrays.equals(as, es)) {
            throw new AssertionError(name + ": shape " + Arrays.toString(as) + " but expected " + Arrays.toString(es));
        }
        if (isInteger(expected.getDataType()) && isInteger(actual.getDataType())) {
            long[] a = actual.toType(DataType.INT64, false).toLongArray();
            long[] e = expected.toType(DataType.INT64, false).toLongArray();
            for (int i = 0; i < e.length; i++) {
                if (a[i] != e[i]) {
                    throw new AssertionError(name + ": differs at " + index(i, es) + ": got " + a[i] + ", expected "
                            + e[i] + " (first of " + count(a, e) + " differing of " + e.length + ")");
                }
            }
            return;
        }
        double[] a = toDoubles(actual);
        double[] e = toDoubles(expected);
        int worst = -1;
        double worstExcess = 0;
        double maxAbs = 0;
        int bad = 0;
        for (int i = 0; i < e.length; i++) {
            double x = a[i];
            double y = e[i];
            if (Double.isNaN(y) && Double.isNaN(x)) {
                continue;
            }
            if (Double.isInfinite(y) || Double.isInfinite(x)) {
                if (x != y) {
                    bad++;
                    if (worst < 0 || worstExcess != Double.POSITIVE_INFINITY) {
                        worst = i;
                        worstExcess = Double.POSITIVE_INFINITY;
                    }
                }
                continue;
            }
            double diff = Math.abs(x - y);
            if (Double.isNaN(diff)) {
                diff = Double.POSITIVE_INFINITY;
            }
            maxAbs = Math.max(maxAbs, diff);
            double excess = diff - (atol + rtol * Math.abs(y));
            if (excess > 0) {
                bad++;
                if (worst < 0 || excess > worstExcess) {
                    worst = i;
                    worstExcess = excess;
                }
            }
        }
        if (bad > 0) {
            throw new AssertionError(String.format("%s: %d of %d elements outside atol=%g rtol=%g; worst at %s: got %s, "
                    + "expected %s (max |diff| %g)", name, bad, e.length, atol, rtol, index(worst, es), a[worst],
                    e[worst], maxAbs));
        }
    }

    private static int count(long[] a, long[] e) {
        int n = 0;
        for (int i = 0; i < e.length; i++) {
            if (a[i] != e[i]) {
                n++;
            }
        }
        return n;
    }

    static boolean isInteger(DataType t) {
        return t == DataType.INT64 || t == DataType.INT32 || t == DataType.INT8 || t == DataType.UINT8
                || t == DataType.BOOLEAN;
    }

    static double[] toDoubles(NDArray x) {
        return x.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** The multi-index of flat position {@code flat} in {@code shape}, e.g. [0, 3, 17]. */
    static String index(int flat, long[] shape) {
        long[] idx = new long[shape.length];
        long rest = flat;
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = shape[d] == 0 ? 0 : rest % shape[d];
            rest = shape[d] == 0 ? 0 : rest / shape[d];
        }
        return Arrays.toString(idx);
    }
}
