package io.transformers4j.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/** Numeric assertions shared by the model tests. */
public final class TestTensors {
    private TestTensors() {}

    public static double maxAbsDiff(NDArray a, NDArray b) {
        return a.toType(DataType.FLOAT64, false).sub(b.toType(DataType.FLOAT64, false)).abs().max().getDouble();
    }

    /** abs(a - e) <= atol + rtol * abs(e) element-wise; the message names the worst element. */
    public static void assertClose(String what, NDArray actual, NDArray expected, double atol, double rtol) {
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), what + ": shape");
        double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] e = expected.toType(DataType.FLOAT64, false).toDoubleArray();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < e.length; i++) {
            double excess = Math.abs(a[i] - e[i]) - (atol + rtol * Math.abs(e[i]));
            if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Double.isNaN(excess))) {
                worst = i;
                worstExcess = excess;
            }
        }
        if (worst >= 0) {
            fail(String.format("%s: element %d is %s, expected %s (atol %g, rtol %g)", what, worst, a[worst], e[worst],
                    atol, rtol));
        }
    }

    /** generate()'s position_ids for left-padded rows: cumsum(mask) - 1, with 1 at the pads. */
    public static NDArray positionsFromMask(NDArray mask) {
        NDArray positions = mask.cumSum(1).sub(1);
        positions.set(mask.eq(0), 1);
        return positions;
    }
}
