package io.transformers4j.sentence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.transformers4j.torch.Torch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class PoolingTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    // Two sentences, three tokens, two features; the second sentence's last token is padding.
    private static final float[] H = {1, 2, 3, 4, 5, 6, /* */ -1, 0, 2, 2, 100, 100};
    private static final long[] MASK = {1, 1, 1, 1, 1, 0};

    private static float[] pool(Pooling p) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray h = m.create(H, new Shape(2, 3, 2));
            NDArray mask = m.create(MASK, new Shape(2, 3));
            return p.apply(h, mask).toFloatArray();
        }
    }

    @Test
    void meanIgnoresPadding() {
        assertArrayEquals(new float[] {3, 4, 0.5f, 1}, pool(Pooling.meanOnly(2)), 1e-6f);
    }

    @Test
    void allModesConcatenateInSentenceTransformersOrder() {
        Pooling p = new Pooling(2, true, true, true, true);
        float[] got = pool(p);
        float s2 = (float) Math.sqrt(2);
        float s3 = (float) Math.sqrt(3);
        float[] expected = {
            1, 2, /* max */ 5, 6, /* mean */ 3, 4, /* sqrt-len */ 9 / s3, 12 / s3,
            -1, 0, 2, 2, 0.5f, 1, 1 / s2, 2 / s2};
        assertArrayEquals(expected, got, 1e-5f);
    }

    @Test
    void normalizeGivesUnitRows() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] n = Pooling.normalize(m.create(new float[] {3, 4, 0, 0}, new Shape(2, 2))).toFloatArray();
            assertArrayEquals(new float[] {0.6f, 0.8f, 0, 0}, n, 1e-7f);
        }
    }

    @Test
    void configParsingAndUnsupportedModes() throws Exception {
        ObjectMapper json = new ObjectMapper();
        Pooling p = Pooling.fromConfig(json.readTree("{\"word_embedding_dimension\": 384, "
                + "\"pooling_mode_mean_tokens\": true, \"pooling_mode_cls_token\": false}"), "x");
        assertEquals(new Pooling(384, false, false, true, false), p);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Pooling.fromConfig(
                json.readTree("{\"pooling_mode_lasttoken\": true}"), "1_Pooling/config.json"));
        assertEquals(true, e.getMessage().contains("pooling_mode_lasttoken"));
        assertThrows(IllegalArgumentException.class, () -> Pooling.fromConfig(json.readTree("{}"), "empty"));
    }

    @Test
    void cosineSimilarity() {
        float[][] a = {{1, 0}, {1, 1}};
        float[][] b = {{2, 0}, {0, 3}, {-1, -1}};
        float[][] s = SentenceTransformer.similarity(a, b);
        float r = (float) (1 / Math.sqrt(2));
        assertArrayEquals(new float[] {1, 0, -r}, s[0], 1e-6f);
        assertArrayEquals(new float[] {r, r, -1}, s[1], 1e-6f);
        assertEquals(1f, SentenceTransformer.similarity(new float[] {0.3f, 0.4f}, new float[] {3, 4}), 1e-6f);
        assertThrows(IllegalArgumentException.class,
                () -> SentenceTransformer.similarity(new float[][] {{1}}, new float[][] {{1, 2}}));
    }
}
