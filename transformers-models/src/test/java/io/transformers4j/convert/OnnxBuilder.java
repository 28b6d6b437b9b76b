package io.transformers4j.convert;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes small ONNX ModelProto files for tests, field by field (the numbers OnnxModel reads). */
final class OnnxBuilder {

    private final List<byte[]> nodes = new ArrayList<>();
    private final List<byte[]> initializers = new ArrayList<>();
    private final List<String> inputs = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();
    private long opset = 17;
    private int counter;

    interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    static byte[] message(Writer w) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            w.write(out);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    OnnxBuilder opset(long v) {
        opset = v;
        return this;
    }

    OnnxBuilder input(String name) {
        inputs.add(name);
        return this;
    }

    OnnxBuilder output(String name) {
        outputs.add(name);
        return this;
    }

    /** A float initializer stored as raw_data (what torch.onnx writes). */
    OnnxBuilder initializer(String name, long[] dims, float[] data) {
        initializers.add(floatTensor(name, dims, data, true));
        return this;
    }

    /** A float initializer stored in the typed float_data field, unpacked (proto2 style). */
    OnnxBuilder initializerFloatData(String name, long[] dims, float[] data) {
        initializers.add(floatTensor(name, dims, data, false));
        return this;
    }

    OnnxBuilder initializerInt64(String name, long[] dims, long[] data) {
        initializers.add(int64Tensor(name, dims, data));
        return this;
    }

    static byte[] floatTensor(String name, long[] dims, float[] data, boolean raw) {
        return message(out -> {
            for (long d : dims) {
                out.writeInt64(1, d);
            }
            out.writeInt32(2, OnnxModel.FLOAT);
            out.writeString(8, name);
            if (raw) {
                ByteBuffer b = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : data) {
                    b.putFloat(f);
                }
                out.writeByteArray(9, b.array());
            } else {
                for (float f : data) {
                    out.writeFloat(4, f);
                }
            }
        });
    }

    /** int64 data in the packed int64_data field. */
    static byte[] int64Tensor(String name, long[] dims, long[] data) {
        return message(out -> {
            for (long d : dims) {
                out.writeInt64(1, d);
            }
            out.writeInt32(2, OnnxModel.INT64);
            byte[] packed = message(p -> {
                for (long v : data) {
                    p.writeInt64NoTag(v);
                }
            });
            out.writeByteArray(7, packed);
            out.writeString(8, name);
        });
    }

    static byte[] attrInt(String name, long v) {
        return message(out -> {
            out.writeString(1, name);
            out.writeInt64(3, v);
            out.writeInt32(20, 2);
        });
    }

    static byte[] attrFloat(String name, float v) {
        return message(out -> {
            out.writeString(1, name);
            out.writeFloat(2, v);
            out.writeInt32(20, 1);
        });
    }

    static byte[] attrString(String name, String v) {
        return message(out -> {
            out.writeString(1, name);
            out.writeByteArray(4, v.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.writeInt32(20, 3);
        });
    }

    static byte[] attrInts(String name, long... v) {
        return message(out -> {
            out.writeString(1, name);
            for (long x : v) {
                out.writeInt64(8, x);
            }
            out.writeInt32(20, 7);
        });
    }

    static byte[] attrTensor(String name, byte[] tensor) {
        return message(out -> {
            out.writeString(1, name);
            out.writeByteArray(5, tensor);
            out.writeInt32(20, 4);
        });
    }

    /** Adds a node; returns its (single) output name, generated as "/opType_N_output_0". */
    String node(String opType, List<String> in, byte[]... attributes) {
        String out = "/" + opType + "_" + (counter++) + "_output_0";
        node(opType, "", in, List.of(out), attributes);
        return out;
    }

    OnnxBuilder node(String opType, String domain, List<String> in, List<String> out, byte[]... attributes) {
        String name = "/" + opType + "_" + (counter++);
        nodes.add(message(o -> {
            for (String i : in) {
                o.writeString(1, i);
            }
            for (String x : out) {
                o.writeString(2, x);
            }
            o.writeString(3, name);
            o.writeString(4, opType);
            for (byte[] a : attributes) {
                o.writeByteArray(5, a);
            }
            if (!domain.isEmpty()) {
                o.writeString(7, domain);
            }
        }));
        return this;
    }

    /** A Constant node holding a float scalar (torch.onnx's way of writing epsilons and scales). */
    String constant(float v) {
        String out = "/Constant_" + (counter++) + "_output_0";
        node("Constant", "", List.of(), List.of(out), attrTensor("value", floatTensor("", new long[0], new float[] {v},
                true)));
        return out;
    }

    /** A Constant node holding int64 values of shape (n). */
    String constantInts(long... v) {
        String out = "/Constant_" + (counter++) + "_output_0";
        node("Constant", "", List.of(), List.of(out), attrTensor("value", int64Tensor("", new long[] {v.length}, v)));
        return out;
    }

    byte[] build() {
        byte[] graph = message(out -> {
            for (byte[] n : nodes) {
                out.writeByteArray(1, n);
            }
            out.writeString(2, "test_graph");
            for (byte[] t : initializers) {
                out.writeByteArray(5, t);
            }
            for (String i : inputs) {
                out.writeByteArray(11, message(v -> v.writeString(1, i)));
            }
            for (String o : outputs) {
                out.writeByteArray(12, message(v -> v.writeString(1, o)));
            }
        });
        return message(out -> {
            out.writeInt64(1, 8);
            out.writeString(2, "transformers4j-test");
            out.writeString(3, "1");
            out.writeByteArray(7, graph);
            out.writeByteArray(8, message(o -> {
                o.writeString(1, "");
                o.writeInt64(2, opset);
            }));
        });
    }

    Path write(Path file) throws IOException {
        Files.write(file, build());
        return file;
    }
}
