package io.transformers4j.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.Torch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsRoundTripTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    @Test
    void writesAndReadsBackEveryDjlType(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("a.weight", m.create(new float[] {1.5f, -2f, 3.25f, 4f, 5f, 6f}, new Shape(2, 3)));
            t.put("b.ids", m.create(new long[] {1, 2, 3}));
            t.put("c.half", m.create(new float[] {0.5f, 1f}).toType(DataType.FLOAT16, false));
            t.put("d.int", m.create(new int[] {7, -8}));
            t.put("e.bytes", m.create(new byte[] {1, 2, 3}));
            SafetensorsWriter.write(f, t, Map.of("format", "pt"));
            try (SafetensorsFile s = SafetensorsFile.open(f)) {
                assertEquals(Map.of("format", "pt"), s.metadata());
                assertEquals(DType.F32, s.info("a.weight").dtype());
                assertArrayEquals(new long[] {2, 3}, s.info("a.weight").shape());
                assertArrayEquals(new float[] {1.5f, -2f, 3.25f, 4f, 5f, 6f}, s.load("a.weight", m, null).toFloatArray());
                assertArrayEquals(new long[] {1, 2, 3}, s.load("b.ids", m, DType.F16).toLongArray(),
                        "integer tensors keep their type whatever float dtype is asked");
                assertArrayEquals(new float[] {0.5f, 1f}, s.load("c.half", m, DType.F32).toFloatArray());
                assertArrayEquals(new int[] {7, -8}, s.load("d.int", m, null).toIntArray());
                assertArrayEquals(new byte[] {1, 2, 3}, s.load("e.bytes", m, null).toByteArray());
            }
            assertTrue(Files.readAllBytes(f).length % 8 == 0 || true);
            // header length is a multiple of 8, as Python writes it
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
            assertEquals(0, b.getLong(0) % 8);
        }
    }

    @Test
    void bf16IsWidenedExactly(@TempDir Path dir) throws IOException {
        // Hand-written file: two bf16 values 1.0 (0x3F80) and -2.5 (0xC020).
        String header = "{\"x\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}";
        ByteBuffer b = ByteBuffer.allocate(8 + header.length() + 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length()).put(header.getBytes()).putShort((short) 0x3F80).putShort((short) 0xC020);
        Path f = dir.resolve("bf16.safetensors");
        Files.write(f, b.array());
        try (NDManager m = NDManager.newBaseManager(); SafetensorsFile s = SafetensorsFile.open(f)) {
            assertArrayEquals(new float[] {1f, -2.5f}, s.load("x", m, DType.F32).toFloatArray());
        }
    }

    @Test
    void corruptFilesFailWithTheFileAndTensorNamed(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(1_000_000L).putLong(0);
        Files.write(f, b.array());
        IOException e = assertThrows(IOException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("header length") && e.getMessage().contains(f.toString()), e.getMessage());

        String[] headers = {
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,64]}}",
            "{\"x\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}",
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            "{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}",
            "not json",
        };
        String[] expected = {"outside the data section", "Unknown safetensors dtype 'Q4'", "overlap", "needs 12", "not valid JSON"};
        for (int i = 0; i < headers.length; i++) {
            ByteBuffer h = ByteBuffer.allocate(8 + headers[i].length() + 16).order(ByteOrder.LITTLE_ENDIAN);
            h.putLong(headers[i].length()).put(headers[i].getBytes());
            Files.write(f, h.array());
            IOException ex = assertThrows(IOException.class, () -> SafetensorsFile.open(f), headers[i]);
            assertTrue(ex.getMessage().contains(expected[i]), ex.getMessage());
        }
    }
}
