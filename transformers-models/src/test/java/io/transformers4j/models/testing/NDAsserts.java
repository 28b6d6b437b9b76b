package io.transformers4j.models.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.weights.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Numeric assertions and fixture access shared by the model tests. */
public final class NDAsserts {
    private NDAsserts() {}

    /** tests/fixtures/models/<name>, from the transformers-models module directory. */
    public static Path fixture(String name) {
        return Path.of("..", "tests", "fixtures", "models", name);
    }

    /** Every tensor of {@code file} (a fixture's inputs/outputs.safetensors), copied into {@code m}. */
    public static Map<String, NDArray> load(Path file, NDManager m) throws IOException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String k : f.keys()) {
                out.put(k, f.load(k, m, null).duplicate());
            }
        }
        return out;
    }

    public static double maxAbsDiff(NDArray a, NDArray b) {
        return a.toType(DataType.FLOAT64, false).sub(b.toType(DataType.FLOAT64, false)).abs().max().getDouble();
    }

    /** abs(a - e) <= atol + rtol * abs(e) element-wise; the message names the worst element. */
    public static void assertClose(String what, NDArray actual, NDArray expected, double atol, double rtol) {
        if (actual == null) {
            fail(what + ": missing");
        }
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
}
