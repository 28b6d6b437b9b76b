package io.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import io.transformers4j.torch.Torch;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CacheTest {
    private NDManager m;

    @BeforeEach
    void setUp() {
        Torch.ensureThreadReady();
        m = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        m.close();
    }

    /** (b, h, s, d) filled with base + position index along s, so each position is recognisable. */
    private NDArray states(int b, int h, int s, int d, float base) {
        float[] x = new float[b * h * s * d];
        for (int i = 0; i < x.length; i++) {
            int pos = (i / d) % s;
            x[i] = base + pos + 0.001f * (i % d) + 0.1f * ((i / (d * s * h)) % b);
        }
        return m.create(x, new Shape(b, h, s, d));
    }

    private static void close(float[] expected, float[] actual, double atol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= atol, "element " + i + ": " + actual[i] + " vs " + expected[i]);
        }
    }

    @Test
    void dynamicCacheConcatenatesAndSurvivesTheCallersScope() {
        try (DynamicCache cache = new DynamicCache()) {
            NDArray k0 = states(2, 2, 3, 4, 0);
            NDArray v0 = states(2, 2, 3, 4, 100);
            try (NDScope scope = new NDScope()) {
                cache.update(k0.duplicate(), v0.duplicate(), 0);
                cache.update(k0.duplicate(), v0.duplicate(), 1);
            }
            assertEquals(3, cache.getSeqLength());
            assertEquals(3, cache.seenTokens());
            NDArray k1 = states(2, 2, 1, 4, 10);
            try (NDScope scope = new NDScope()) {
                Cache.KeyValue kv = cache.update(k1, k1, 0);
                assertEquals(new Shape(2, 2, 4, 4), kv.key().getShape());
            }
            assertEquals(4, cache.getSeqLength(0));
            assertEquals(3, cache.getSeqLength(1));
            assertEquals(0, cache.getSeqLength(5));
            assertNull(cache.getMaxLength());
            NDArray full = cache.get(0).key();
            close(k0.concat(k1, 2).toFloatArray(), full.toFloatArray(), 0);

            List<NDArray[]> legacy = cache.toLegacyCache();
            assertEquals(2, legacy.size());
            try (DynamicCache copy = DynamicCache.fromLegacyCache(legacy)) {
                assertEquals(2, copy.size());
                close(legacy.get(1)[1].toFloatArray(), copy.get(1).value().toFloatArray(), 0);
            }
            NDArray fullCopy = full.duplicate();
            cache.reorderCache(m.create(new long[] {1, 1}));
            close(fullCopy.get(1).toFloatArray(), cache.get(0).key().get(0).toFloatArray(), 0);
            assertThrows(IndexOutOfBoundsException.class, () -> cache.get(2));
            assertEquals(3, cache.getUsableLength(1, 1));
        }
    }

    @Test
    void staticCacheOfABfloat16ModelStaysBfloat16() {
        try (StaticCache cache = new StaticCache(2, 1, 2, 8, 4, DType.BF16, m)) {
            NDArray buffer = cache.get(1).value();
            assertEquals(DType.BF16, TorchOps.dtypeOf(buffer));
            // bfloat16 states are written as they are; float32 ones are rounded to bfloat16 like Python's copy_
            NDArray prompt = TorchOps.toDType(states(1, 2, 3, 4, 1), DType.BF16);
            cache.update(prompt, prompt, 1, Cache.CacheKwargs.positions(m.create(new long[] {0, 1, 2})));
            NDArray next = states(1, 2, 1, 4, 0.1f);
            Cache.KeyValue kv = cache.update(next, next, 1, Cache.CacheKwargs.positions(m.create(new long[] {3})));
            assertSame(buffer, kv.value());
            assertEquals(DType.BF16, TorchOps.dtypeOf(kv.value()));
            close(TorchOps.toDType(prompt, DType.F32).toFloatArray(),
                    TorchOps.toDType(buffer.get(new NDIndex(":, :, 0:3")), DType.F32).toFloatArray(), 0);
            close(TorchOps.toDType(TorchOps.toDType(next, DType.BF16), DType.F32).toFloatArray(),
                    TorchOps.toDType(buffer.get(new NDIndex(":, :, 3:4")), DType.F32).toFloatArray(), 0);
            assertEquals(4, cache.getSeqLength(1));
            cache.reset();
            assertEquals(0, cache.getSeqLength(1));
            assertEquals(DType.BF16, TorchOps.dtypeOf(cache.get(1).value()));
        }
    }

    @Test
    void staticCacheWritesInPlaceWithoutReallocating() {
        try (StaticCache cache = new StaticCache(2, 2, 2, 8, 4, DataType.FLOAT32, m)) {
            NDArray buffer = cache.get(0).key();
            long handle = ((PtNDArray) buffer).getHandle();
            assertEquals(0, cache.getSeqLength());
            NDArray prompt = states(2, 2, 3, 4, 1);
            Cache.KeyValue kv = cache.update(prompt, prompt, 0, Cache.CacheKwargs.positions(m.create(new long[] {0, 1, 2})));
            assertSame(buffer, kv.key(), "update returns the preallocated buffer");
            assertEquals(3, cache.getSeqLength());
            for (int step = 3; step < 6; step++) {
                NDArray next = states(2, 2, 1, 4, 50 + step);
                kv = cache.update(next, next, 0, Cache.CacheKwargs.positions(m.create(new long[] {step})));
                assertSame(buffer, kv.key());
                assertEquals(handle, ((PtNDArray) kv.key()).getHandle(), "same native tensor: no reallocation");
                close(next.toFloatArray(), buffer.get(new NDIndex(":, :, {}:{}", step, step + 1)).toFloatArray(), 0);
            }
            assertEquals(6, cache.getSeqLength());
            assertEquals(8, cache.getMaxLength());
            close(prompt.toFloatArray(), buffer.get(new NDIndex(":, :, 0:3")).toFloatArray(), 0);
            float[] tail = buffer.get(new NDIndex(":, :, 6:")).toFloatArray();
            for (float x : tail) {
                assertEquals(0f, x, "unwritten positions stay zero");
            }
            // non-consecutive positions
            NDArray two = states(2, 2, 2, 4, 200);
            cache.update(two, two, 1, Cache.CacheKwargs.positions(m.create(new long[] {7, 5})));
            close(two.get(new NDIndex(":, :, 0:1")).toFloatArray(),
                    cache.get(1).key().get(new NDIndex(":, :, 7:8")).toFloatArray(), 0);
            NDArray row1 = buffer.get(1).duplicate();
            cache.reorderCache(m.create(new long[] {1, 0}));
            assertSame(buffer, cache.get(0).key());
            close(row1.toFloatArray(), buffer.get(0).toFloatArray(), 0);
            assertThrows(IndexOutOfBoundsException.class, () -> cache.update(prompt, prompt, 0,
                    Cache.CacheKwargs.positions(m.create(new long[] {6, 7, 8}))));
            assertThrows(IllegalArgumentException.class, () -> cache.update(prompt, prompt, 0, Cache.CacheKwargs.NONE));
            cache.reset();
            assertEquals(0, cache.getSeqLength());
        }
    }

    @Test
    void sinkCacheKeepsSinksAndRerotatesKeys() {
        int window = 6;
        int sinks = 2;
        int d = 4;
        // rotary tables for positions 0..15: angle = pos * inv_freq
        float[] cos = new float[16 * d];
        float[] sin = new float[16 * d];
        double[] invFreq = {1.0, 0.1};
        for (int p = 0; p < 16; p++) {
            for (int j = 0; j < d; j++) {
                double a = p * invFreq[j % 2];
                cos[p * d + j] = (float) Math.cos(a);
                sin[p * d + j] = (float) Math.sin(a);
            }
        }
        NDArray cosT = m.create(cos, new Shape(16, d));
        NDArray sinT = m.create(sin, new Shape(16, d));
        try (SinkCache cache = new SinkCache(window, sinks)) {
            NDArray prompt = states(1, 1, 5, d, 0);
            cache.update(prompt, prompt, 0, Cache.CacheKwargs.rope(sinT, cosT));
            assertEquals(5, cache.getSeqLength());
            // cache holds window - 1 entries: the next update shifts (cached + new == window)
            NDArray before = cache.get(0).key().duplicate();
            NDArray next = states(1, 1, 1, d, 40);
            Cache.KeyValue kv = cache.update(next, next, 0, Cache.CacheKwargs.rope(sinT, cosT));
            assertEquals(window, kv.key().getShape().get(2));
            assertEquals(window, cache.getMaxLength());
            close(before.get(new NDIndex(":, :, 0:2")).toFloatArray(), kv.key().get(new NDIndex(":, :, 0:2")).toFloatArray(), 0);
            close(next.toFloatArray(), kv.key().get(new NDIndex(":, :, 5:6")).toFloatArray(), 0);
            // values are shifted, not rotated: kept = cached[-(window - sinks - 1):] = positions 2..4
            close(prompt.get(new NDIndex(":, :, 2:5")).toFloatArray(), kv.value().get(new NDIndex(":, :, 2:5")).toFloatArray(), 0);
            // keys 2..4 rotated one position back: R(-1) applied with cos/sin of angle(p) - angle(p + 1)... by hand
            float[] kept = prompt.get(new NDIndex(":, :, 2:5")).toFloatArray();
            float[] expected = new float[kept.length];
            for (int i = 0; i < 3; i++) {
                int p = sinks + i; // rotation tables use positions sinks+1.. (original) and sinks.. (shifted)
                for (int j = 0; j < d; j++) {
                    int pair = j < d / 2 ? j + d / 2 : j - d / 2;
                    double oc = cos[(p + 1) * d + j];
                    double os = sin[(p + 1) * d + j];
                    double sc = cos[p * d + j];
                    double ss = sin[p * d + j];
                    float rc = (float) ((float) (oc * sc) + (float) (os * ss));
                    float rs = (float) ((float) (-os * sc) + (float) (oc * ss));
                    float half = j < d / 2 ? -kept[i * d + pair] : kept[i * d + pair];
                    expected[i * d + j] = kept[i * d + j] * rc + half * rs;
                }
            }
            close(expected, kv.key().get(new NDIndex(":, :, 2:5")).toFloatArray(), 1e-5);
            cache.update(next, next, 0, Cache.CacheKwargs.rope(sinT, cosT));
            assertEquals(window, cache.getSeqLength(), "stays at window_length");
            assertEquals(7, cache.seenTokens());
        }
    }
}
