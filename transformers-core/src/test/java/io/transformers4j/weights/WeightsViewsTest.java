package io.transformers4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sub-module views (relative state dict and reports) and checkpoints mounted under a sub-module. */
class WeightsViewsTest {

    @TempDir Path tmp;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    private Path checkpoint(String name, Map<String, float[]> tensors) throws IOException {
        Path dir = tmp.resolve(name);
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> sd = new LinkedHashMap<>();
            tensors.forEach((k, v) -> sd.put(k, m.create(v, new Shape(v.length))));
            Checkpoints.save(dir, sd, Long.MAX_VALUE);
        }
        return dir.resolve(Checkpoints.SAFE_WEIGHTS_NAME);
    }

    @Test
    void subModuleViewsSeeTheirOwnKeys() throws IOException {
        Path file = checkpoint("one", Map.of("encoder.a", new float[] {1, 2}, "decoder.b", new float[] {3},
                "decoder.stray", new float[] {0}));
        try (NDManager m = NDManager.newBaseManager(); SafetensorsFile f = SafetensorsFile.open(file)) {
            Weights w = Weights.fromSource(f, m, DType.F32, Device.cpu(), "", false, 0.02f);
            Weights enc = w.prefix("encoder");
            Weights dec = w.prefix("decoder");
            enc.get("a", 2);
            dec.get("b", 1);
            dec.get("c", Init.ZEROS, 4);
            enc.tie("tied", enc.stateDict().get("a"));
            assertEquals(List.of("encoder.a", "decoder.b", "decoder.c"), List.copyOf(w.stateDict().keySet()));
            assertEquals(List.of("a"), List.copyOf(enc.stateDict().keySet()));
            assertEquals(List.of("b", "c"), List.copyOf(dec.stateDict().keySet()));
            assertEquals(Set.of("tied"), enc.tiedKeys());
            assertEquals(Set.of(), dec.tiedKeys());
            assertEquals(List.of("decoder.c"), w.missingKeys());
            assertEquals(List.of("c"), dec.missingKeys());
            assertEquals(List.of(), enc.missingKeys());
            assertEquals(List.of("decoder.stray"), w.unexpectedKeys());
            assertEquals(List.of("stray"), dec.unexpectedKeys());
            assertEquals(List.of(), enc.unexpectedKeys());
        }
    }

    @Test
    void mountedCheckpointsFillTheirSubModuleWithBaseModelPrefixPerPart() throws IOException {
        // A head checkpoint (keys under "bert.") mounted under a bare part, a bare checkpoint under a head part.
        Path head = checkpoint("head", Map.of("bert.x", new float[] {1, 2}, "cls.w", new float[] {5}));
        Path bare = checkpoint("bare", Map.of("x", new float[] {7, 8}, "pooler.p", new float[] {9}));
        try (NDManager m = NDManager.newBaseManager(); SafetensorsFile h = SafetensorsFile.open(head);
                SafetensorsFile b = SafetensorsFile.open(bare)) {
            Weights w = Weights.init(m, DType.F32, Device.cpu(), 0.02f, 0);
            Weights enc = w.mount("encoder", h, "bert", false);
            Weights dec = w.mount("decoder", b, "bert", true).withInitializerRange(0f);
            assertArrayEquals(new float[] {1, 2}, enc.get("x", 2).toFloatArray(), 0f);
            assertArrayEquals(new float[] {7, 8}, dec.prefix("bert").get("x", 2).toFloatArray(), 0f);
            NDArray fresh = dec.prefix("cls").get("w", 3); // not in the bare checkpoint
            assertArrayEquals(new float[] {0, 0, 0}, fresh.toFloatArray(), 0f, "initializer range 0 for this part");
            w.get("proj", 2); // the composite's own parameter: no checkpoint, not reported

            assertEquals(List.of("encoder.x", "decoder.bert.x", "decoder.cls.w", "proj"),
                    List.copyOf(w.stateDict().keySet()));
            assertEquals(List.of("decoder.cls.w"), w.missingKeys());
            assertEquals(List.of("cls.w"), dec.missingKeys());
            assertEquals(List.of("encoder.cls.w", "decoder.pooler.p"), w.unexpectedKeys());
            assertEquals(List.of("pooler.p"), dec.unexpectedKeys());

            // A part's ignore pattern may be anchored at the part's own checkpoint keys.
            dec.ignoreUnexpected("^pooler\\.");
            assertEquals(List.of("encoder.cls.w"), w.unexpectedKeys());

            assertThrows(IllegalStateException.class, () -> w.mount("encoder", h, "", false));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> w.mount("encoder2", h, "", false).get("bert.x", 3));
            assertTrue(e.getMessage().contains("bert.x") && e.getMessage().contains("encoder2.bert.x"),
                    e.getMessage());
        }
    }
}
