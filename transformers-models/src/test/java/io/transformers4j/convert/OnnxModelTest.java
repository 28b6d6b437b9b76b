package io.transformers4j.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxModelTest {

    @TempDir
    Path tmp;

    @Test
    void readsGraphStructureAndEveryTensorEncoding() throws IOException {
        OnnxBuilder b = new OnnxBuilder().opset(13).input("x").input("w_raw").output("y");
        b.initializer("w_raw", new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6});
        b.initializerFloatData("w_typed", new long[] {3}, new float[] {0.5f, -1.5f, 2.25f});
        b.initializerInt64("shape", new long[] {2}, new long[] {-1, 7});
        String eps = b.constant(1e-12f);
        String ints = b.constantInts(0, 0, 12, 32);
        b.node("Add", "", List.of("x", eps), List.of("y"));
        OnnxModel m = OnnxModel.read(b.write(tmp.resolve("g.onnx")));

        assertEquals(8, m.irVersion());
        assertEquals("transformers4j-test", m.producerName());
        assertEquals(13L, m.opsets().get(""));
        // Graph inputs that are initializers are not model inputs.
        assertEquals(List.of("x"), m.inputs());
        assertEquals(List.of("y"), m.outputs());
        assertEquals(List.of("w_raw", "w_typed", "shape"), List.copyOf(m.initializers().keySet()));

        OnnxModel.Tensor raw = m.initializers().get("w_raw");
        assertArrayEquals(new long[] {2, 3}, raw.dims());
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, raw.toDoubles());
        assertArrayEquals(new double[] {0.5, -1.5, 2.25}, m.initializers().get("w_typed").toDoubles());
        assertArrayEquals(new long[] {-1, 7}, m.initializers().get("shape").toLongs());
        assertEquals(1e-12f, (float) m.constant(eps).scalar());
        assertArrayEquals(new long[] {0, 0, 12, 32}, m.constant(ints).toLongs());
        assertNull(m.constant("y"), "a computed value is not a constant");

        OnnxModel.Node add = m.producer("y");
        assertEquals("Add", add.opType());
        assertEquals(List.of(add), m.consumers("x"));
        assertEquals("Constant", m.producer(eps).opType());
    }

    @Test
    void readsExternalData() throws IOException {
        float[] data = {3, 1, 4, 1, 5, 9};
        ByteBuffer bytes = ByteBuffer.allocate(100 + data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.position(100);
        for (float f : data) {
            bytes.putFloat(f);
        }
        Files.write(tmp.resolve("weights.bin"), bytes.array());
        byte[] tensor = OnnxBuilder.message(out -> {
            out.writeInt64(1, 2);
            out.writeInt64(1, 3);
            out.writeInt32(2, OnnxModel.FLOAT);
            out.writeString(8, "big.weight");
            for (String[] kv : new String[][] {{"location", "weights.bin"}, {"offset", "100"}, {"length", "24"}}) {
                out.writeByteArray(13, OnnxBuilder.message(e -> {
                    e.writeString(1, kv[0]);
                    e.writeString(2, kv[1]);
                }));
            }
            out.writeInt32(14, 1);
        });
        byte[] model = OnnxBuilder.message(out -> out.writeByteArray(7,
                OnnxBuilder.message(g -> g.writeByteArray(5, tensor))));
        Path f = Files.write(tmp.resolve("ext.onnx"), model);
        OnnxModel m = OnnxModel.read(f);
        assertArrayEquals(new double[] {3, 1, 4, 1, 5, 9}, m.initializers().get("big.weight").toDoubles());

        Files.delete(tmp.resolve("weights.bin"));
        IOException e = assertThrows(IOException.class, () -> OnnxModel.read(f));
        assertTrue(e.getMessage().contains("big.weight"), e.getMessage());
    }

    @Test
    void wrongDataSizeIsReported() throws IOException {
        byte[] tensor = OnnxBuilder.floatTensor("short.weight", new long[] {4}, new float[] {1, 2}, true);
        byte[] model = OnnxBuilder.message(out -> out.writeByteArray(7,
                OnnxBuilder.message(g -> g.writeByteArray(5, tensor))));
        IOException e = assertThrows(IOException.class,
                () -> OnnxModel.read(Files.write(tmp.resolve("s.onnx"), model)));
        assertTrue(e.getMessage().contains("short.weight") && e.getMessage().contains("16 bytes"), e.getMessage());
    }

    @Test
    void fileWithoutGraphIsRejected() throws IOException {
        byte[] model = OnnxBuilder.message(out -> out.writeInt64(1, 8));
        IOException e = assertThrows(IOException.class,
                () -> OnnxModel.read(Files.write(tmp.resolve("empty.onnx"), model)));
        assertTrue(e.getMessage().contains("no graph"), e.getMessage());
    }

    @Test
    void halfPrecisionDecoding() {
        assertEquals(1.0f, OnnxModel.halfToFloat((short) 0x3c00));
        assertEquals(-2.0f, OnnxModel.halfToFloat((short) 0xc000));
        assertEquals(65504f, OnnxModel.halfToFloat((short) 0x7bff));
        assertEquals(0x1p-24f, OnnxModel.halfToFloat((short) 0x0001));
        assertEquals(Float.POSITIVE_INFINITY, OnnxModel.halfToFloat((short) 0x7c00));
    }
}
