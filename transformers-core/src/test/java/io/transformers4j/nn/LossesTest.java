package io.transformers4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.Torch;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** crossEntropy (gather of the label's log-probability) against the one-hot formula it replaced and a double one. */
class LossesTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    /** The formula used before: sum over classes of logp * one_hot(label), weighted by label != -100. */
    static NDArray oneHotCrossEntropy(NDArray logits, NDArray labels) {
        long c = logits.getShape().get(logits.getShape().dimension() - 1);
        NDArray flat = logits.reshape(-1, c);
        NDArray y = labels.reshape(-1).toType(DataType.INT64, false);
        NDArray keep = y.neq(Losses.IGNORE_INDEX);
        NDArray safe = y.mul(keep.toType(DataType.INT64, false));
        NDArray picked = flat.logSoftmax(-1).mul(safe.oneHot((int) c, DataType.FLOAT32)).sum(new int[] {-1});
        NDArray w = keep.toType(DataType.FLOAT32, false);
        return picked.mul(w).sum().neg().div(w.sum());
    }

    /** CrossEntropyLoss(ignore_index=-100, reduction="mean") in double precision. */
    static double reference(float[] logits, long[] labels, int c) {
        double total = 0;
        int kept = 0;
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == Losses.IGNORE_INDEX) {
                continue;
            }
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                max = Math.max(max, logits[i * c + j]);
            }
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += Math.exp(logits[i * c + j] - max);
            }
            total -= logits[i * c + (int) labels[i]] - max - Math.log(sum);
            kept++;
        }
        return total / kept;
    }

    static long[] randomLabels(Random r, int n, int c, double ignoredShare) {
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = r.nextDouble() < ignoredShare ? Losses.IGNORE_INDEX : r.nextInt(c);
        }
        return labels;
    }

    static float[] randomLogits(Random r, int size, float scale) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) r.nextGaussian() * scale;
        }
        return x;
    }

    static void assertClose(String what, double actual, double expected, double atol, double rtol) {
        assertTrue(Math.abs(actual - expected) <= atol + rtol * Math.abs(expected),
                what + ": got " + actual + ", expected " + expected + " (diff " + Math.abs(actual - expected) + ")");
    }

    @Test
    void matchesTheOneHotFormulaOnRandomInputsWithIgnoredLabels() {
        Random r = new Random(11);
        try (NDManager m = NDManager.newBaseManager()) {
            for (int trial = 0; trial < 20; trial++) {
                int b = 1 + r.nextInt(3);
                int t = 1 + r.nextInt(40);
                int c = 2 + r.nextInt(300);
                float[] x = randomLogits(r, b * t * c, 1 + 4 * r.nextFloat());
                long[] y = randomLabels(r, b * t, c, trial % 4 == 0 ? 0 : 0.3);
                if (trial == 1) {
                    y[0] = 0; // at least one kept label
                }
                NDArray logits = m.create(x, new Shape(b, t, c));
                NDArray labels = m.create(y, new Shape(b, t));
                NDArray loss = Losses.crossEntropy(logits, labels);
                assertEquals(DataType.FLOAT32, loss.getDataType());
                assertEquals(0, loss.getShape().dimension(), "a scalar");
                double expected = reference(x, y, c);
                String what = "trial " + trial + " (" + b + "x" + t + "x" + c + ")";
                if (Double.isNaN(expected)) { // every label ignored: 0 / 0, as in PyTorch
                    assertTrue(Float.isNaN(loss.getFloat()), what + ": expected NaN, got " + loss.getFloat());
                    continue;
                }
                assertClose(what + " vs one-hot formula", loss.getFloat(),
                        oneHotCrossEntropy(logits, labels).getFloat(), 1e-6, 1e-6);
                assertClose(what + " vs double reference", loss.getFloat(), expected, 1e-5, 1e-5);
            }
        }
    }

    @Test
    void everyLabelIgnoredGivesNaN() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = Losses.crossEntropy(m.randomNormal(new Shape(3, 5)),
                    m.create(new long[] {-100, -100, -100}));
            assertTrue(Float.isNaN(loss.getFloat()), "got " + loss.getFloat());
        }
    }

    @Test
    void minusInfinityLogitsOutsideTheLabelsStayFinite() {
        // A masked vocabulary (logit -inf) on class 0: the one-hot product gave -inf * 0 = NaN, PyTorch does not.
        float inf = Float.NEGATIVE_INFINITY;
        // Row 0 is kept with class 0 at -inf; row 1 is ignored and its stand-in label 0 has log-probability -inf.
        float[] x = {inf, 1f, 2f, inf, -1f, 3f, 0f, inf, 2f, 2f, 2f, 2f};
        long[] y = {2, -100, 0, 1};
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = Losses.crossEntropy(m.create(x, new Shape(4, 3)), m.create(y));
            assertClose("loss", loss.getFloat(), reference(x, y, 3), 1e-6, 1e-6);
            assertTrue(Float.isNaN(oneHotCrossEntropy(m.create(x, new Shape(4, 3)), m.create(y)).getFloat()),
                    "the one-hot formula this replaced gave NaN here");
        }
    }

    @Test
    void float16LogitsGiveAFloat32LossLikeTheOneHotFormula() {
        Random r = new Random(5);
        float[] x = randomLogits(r, 64 * 100, 3);
        long[] y = randomLabels(r, 64, 100, 0.25);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.create(x, new Shape(64, 100)).toType(DataType.FLOAT16, false);
            NDArray labels = m.create(y);
            NDArray loss = Losses.crossEntropy(logits, labels);
            assertEquals(DataType.FLOAT32, loss.getDataType());
            assertClose("float16 vs one-hot formula", loss.getFloat(),
                    oneHotCrossEntropy(logits, labels).getFloat(), 1e-6, 1e-6);
            // The reference sees the float16-rounded logits; float16 log_softmax keeps ~3 significant digits.
            float[] rounded = logits.toType(DataType.FLOAT32, false).toFloatArray();
            assertClose("float16 vs double reference", loss.getFloat(), reference(rounded, y, 100), 5e-3, 2e-3);
        }
    }

    @Test
    void labelOutOfRangeIsRejectedByName() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray logits = m.randomNormal(new Shape(2, 3, 5));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Losses.crossEntropy(logits, m.create(new long[] {0, 4, -100, 5, 1, 2}, new Shape(2, 3))));
            assertTrue(e.getMessage().contains("label 5") && e.getMessage().contains("5 classes"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> Losses.crossEntropy(logits, m.create(new long[] {0, -1, 0, 0, 0, 0}, new Shape(2, 3))));
            assertTrue(e.getMessage().contains("label -1"), e.getMessage());
        }
    }
}
