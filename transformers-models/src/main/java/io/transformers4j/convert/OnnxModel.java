package io.transformers4j.convert;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ONNX model file read straight from its protobuf wire format (no generated classes): the graph's nodes,
 * initializers, inputs and outputs. Field numbers are those of onnx/onnx.proto (ModelProto.graph = 7, GraphProto.node
 * = 1, initializer = 5, input = 11, output = 12, NodeProto input = 1, output = 2, name = 3, op_type = 4, attribute = 5,
 * TensorProto dims = 1, data_type = 2, float_data = 4, int32_data = 5, int64_data = 7, name = 8, raw_data = 9,
 * double_data = 10, external_data = 13, data_location = 14, ...).
 *
 * <p>The file is memory-mapped and {@code raw_data} tensors are views of the mapping (no copy); tensors stored in
 * external data files (ONNX's way past protobuf's 2 GB limit) are mapped from those files.
 */
public final class OnnxModel {

    /** TensorProto.DataType values this reader can hold. */
    public static final int FLOAT = 1, UINT8 = 2, INT8 = 3, INT32 = 6, INT64 = 7, BOOL = 9, FLOAT16 = 10,
            DOUBLE = 11, BFLOAT16 = 16;

    /** An initializer or constant: row-major, little-endian data. */
    public record Tensor(String name, int dataType, long[] dims, ByteBuffer data) {

        public long numel() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return n;
        }

        /** Bytes per element of this tensor's data type. */
        public int elementSize() {
            return OnnxModel.elementSize(dataType, name);
        }

        public String dataTypeName() {
            return OnnxModel.dataTypeName(dataType);
        }

        /** The elements as doubles (float, double, float16, int32, int64 tensors). */
        public double[] toDoubles() {
            ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
            int n = Math.toIntExact(numel());
            double[] out = new double[n];
            for (int i = 0; i < n; i++) {
                out[i] = switch (dataType) {
                    case FLOAT -> b.getFloat(i * 4);
                    case DOUBLE -> b.getDouble(i * 8);
                    case FLOAT16 -> halfToFloat(b.getShort(i * 2));
                    case INT32 -> b.getInt(i * 4);
                    case INT64 -> b.getLong(i * 8);
                    default -> throw new IllegalArgumentException("ONNX tensor '" + name + "' has type "
                            + dataTypeName() + "; expected a number tensor");
                };
            }
            return out;
        }

        /** The elements as longs (int32 / int64 tensors). */
        public long[] toLongs() {
            if (dataType != INT64 && dataType != INT32) {
                throw new IllegalArgumentException("ONNX tensor '" + name + "' has type " + dataTypeName()
                        + "; expected int64 or int32");
            }
            double[] d = toDoubles();
            long[] out = new long[d.length];
            for (int i = 0; i < d.length; i++) {
                out[i] = (long) d[i];
            }
            return out;
        }

        /** The single element of a scalar (or one-element) tensor. */
        public double scalar() {
            if (numel() != 1) {
                throw new IllegalArgumentException("ONNX tensor '" + name + "' of shape " + Arrays.toString(dims)
                        + " is not a scalar");
            }
            return toDoubles()[0];
        }

        @Override
        public String toString() {
            return name + " " + dataTypeName() + Arrays.toString(dims);
        }
    }

    /** A node attribute; only the field its {@code type} names is meaningful. */
    public record Attribute(String name, int type, float f, long i, String s, Tensor t, float[] floats, long[] ints) {}

    /** A graph node. */
    public record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
            Map<String, Attribute> attributes) {

        /** Input {@code k}, or null when absent (ONNX writes "" for a skipped optional input). */
        public String input(int k) {
            return k < inputs.size() && !inputs.get(k).isEmpty() ? inputs.get(k) : null;
        }

        public String output(int k) {
            return k < outputs.size() ? outputs.get(k) : null;
        }

        public Attribute attribute(String attrName) {
            return attributes.get(attrName);
        }

        @Override
        public String toString() {
            return opType + " '" + name + "' " + inputs + " -> " + outputs;
        }
    }

    private final Path file;
    private final long irVersion;
    private final String producerName;
    private final String producerVersion;
    private final Map<String, Long> opsets;
    private final List<Node> nodes;
    private final Map<String, Tensor> initializers;
    private final List<String> inputs;
    private final List<String> outputs;
    private final Map<String, Node> producers = new HashMap<>();
    private final Map<String, List<Node>> consumers = new HashMap<>();

    private OnnxModel(Path file, long irVersion, String producerName, String producerVersion, Map<String, Long> opsets,
            List<Node> nodes, Map<String, Tensor> initializers, List<String> inputs, List<String> outputs) {
        this.file = file;
        this.irVersion = irVersion;
        this.producerName = producerName;
        this.producerVersion = producerVersion;
        this.opsets = Collections.unmodifiableMap(opsets);
        this.nodes = List.copyOf(nodes);
        this.initializers = Collections.unmodifiableMap(initializers);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        for (Node n : nodes) {
            for (String o : n.outputs()) {
                producers.put(o, n);
            }
            for (String i : n.inputs()) {
                consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
            }
        }
    }

    // ---------------------------------------------------------------- accessors

    public Path file() { return file; }
    public long irVersion() { return irVersion; }
    public String producerName() { return producerName; }
    public String producerVersion() { return producerVersion; }
    /** Opset version by domain ("" is the default ONNX domain). */
    public Map<String, Long> opsets() { return opsets; }
    /** The nodes in (topological) file order. */
    public List<Node> nodes() { return nodes; }
    /** Initializers by name, in file order. */
    public Map<String, Tensor> initializers() { return initializers; }
    /** Names of the graph inputs that are not initializers. */
    public List<String> inputs() { return inputs; }
    public List<String> outputs() { return outputs; }

    /** The node that produces {@code value}, or null (graph inputs, initializers). */
    public Node producer(String value) {
        return producers.get(value);
    }

    /** The nodes that read {@code value}. */
    public List<Node> consumers(String value) {
        return consumers.getOrDefault(value, List.of());
    }

    /**
     * The constant value named {@code value}: an initializer, or the output of a {@code Constant} node (torch.onnx
     * writes small constants such as epsilons and reshape shapes that way); null when it is computed.
     */
    public Tensor constant(String value) {
        if (value == null) {
            return null;
        }
        Tensor t = initializers.get(value);
        if (t != null) {
            return t;
        }
        Node p = producers.get(value);
        if (p != null && p.opType().equals("Constant") && p.domain().isEmpty()) {
            Attribute a = p.attribute("value");
            if (a != null && a.t() != null) {
                return a.t();
            }
            a = p.attribute("value_float");
            if (a != null) {
                return scalarTensor(value, FLOAT, a.f());
            }
            a = p.attribute("value_int");
            if (a != null) {
                return scalarTensor(value, INT64, a.i());
            }
        }
        return null;
    }

    private static Tensor scalarTensor(String name, int type, double v) {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        if (type == FLOAT) {
            b.putFloat(0, (float) v).limit(4);
        } else {
            b.putLong(0, (long) v);
        }
        return new Tensor(name, type, new long[0], b.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
    }

    // ---------------------------------------------------------------- reading

    /** Reads and indexes an ONNX model file. */
    public static OnnxModel read(Path file) throws IOException {
        ByteBuffer buf;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                // Protobuf messages cannot exceed 2 GB; larger ONNX models keep their weights in external files.
                throw new IOException("ONNX file " + file + " is " + size + " bytes, more than protobuf's 2 GB limit");
            }
            buf = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "ONNX model file not found");
        }
        try {
            return new Reader(file, buf).readModel();
        } catch (com.google.protobuf.InvalidProtocolBufferException | IndexOutOfBoundsException e) {
            throw new IOException("Corrupt ONNX file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses the wire format over one CodedInputStream, using push/pop limits for nested messages. */
    private static final class Reader {
        private final Path file;
        private final ByteBuffer buf;
        private final CodedInputStream in;

        Reader(Path file, ByteBuffer buf) {
            this.file = file;
            this.buf = buf;
            this.in = CodedInputStream.newInstance(buf);
            in.setSizeLimit(Integer.MAX_VALUE);
        }

        OnnxModel readModel() throws IOException {
            long ir = 0;
            String producer = "";
            String producerVersion = "";
            Map<String, Long> opsets = new LinkedHashMap<>();
            Graph g = null;
            int tag;
            while ((tag = in.readTag()) != 0) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> ir = in.readInt64();
                    case 2 -> producer = in.readString();
                    case 3 -> producerVersion = in.readString();
                    case 7 -> {
                        int old = enter();
                        g = readGraph();
                        in.popLimit(old);
                    }
                    case 8 -> {
                        int old = enter();
                        String domain = "";
                        long version = 0;
                        int t;
                        while ((t = in.readTag()) != 0) {
                            switch (WireFormat.getTagFieldNumber(t)) {
                                case 1 -> domain = in.readString();
                                case 2 -> version = in.readInt64();
                                default -> in.skipField(t);
                            }
                        }
                        in.popLimit(old);
                        opsets.put(domain, version);
                    }
                    default -> in.skipField(tag);
                }
            }
            if (g == null) {
                throw new IOException("ONNX file " + file + " has no graph (ModelProto.graph is missing): is it an "
                        + "ONNX model?");
            }
            List<String> graphInputs = new ArrayList<>();
            for (String i : g.inputs) {
                if (!g.initializers.containsKey(i)) {
                    graphInputs.add(i);
                }
            }
            return new OnnxModel(file, ir, producer, producerVersion, opsets, g.nodes, g.initializers, graphInputs,
                    g.outputs);
        }

        private record Graph(List<Node> nodes, Map<String, Tensor> initializers, List<String> inputs,
                List<String> outputs) {}

        private int enter() throws IOException {
            int len = in.readRawVarint32();
            if (len < 0) {
                throw new IOException("negative message length");
            }
            return in.pushLimit(len);
        }

        private Graph readGraph() throws IOException {
            List<Node> nodes = new ArrayList<>();
            Map<String, Tensor> inits = new LinkedHashMap<>();
            List<String> inputs = new ArrayList<>();
            List<String> outputs = new ArrayList<>();
            int tag;
            while ((tag = in.readTag()) != 0) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> {
                        int old = enter();
                        nodes.add(readNode());
                        in.popLimit(old);
                    }
                    case 5 -> {
                        int old = enter();
                        Tensor t = readTensor();
                        in.popLimit(old);
                        inits.put(t.name(), t);
                    }
                    case 11, 12 -> {
                        int old = enter();
                        String name = readValueInfoName();
                        in.popLimit(old);
                        (WireFormat.getTagFieldNumber(tag) == 11 ? inputs : outputs).add(name);
                    }
                    default -> in.skipField(tag);
                }
            }
            return new Graph(nodes, inits, inputs, outputs);
        }

        private String readValueInfoName() throws IOException {
            String name = "";
            int tag;
            while ((tag = in.readTag()) != 0) {
                if (WireFormat.getTagFieldNumber(tag) == 1) {
                    name = in.readString();
                } else {
                    in.skipField(tag);
                }
            }
            return name;
        }

        private Node readNode() throws IOException {
            List<String> ins = new ArrayList<>();
            List<String> outs = new ArrayList<>();
            String name = "";
            String op = "";
            String domain = "";
            Map<String, Attribute> attrs = new LinkedHashMap<>();
            int tag;
            while ((tag = in.readTag()) != 0) {
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> ins.add(in.readString());
                    case 2 -> outs.add(in.readString());
                    case 3 -> name = in.readString();
                    case 4 -> op = in.readString();
                    case 5 -> {
                        int old = enter();
                        Attribute a = readAttribute();
                        in.popLimit(old);
                        attrs.put(a.name(), a);
                    }
                    case 7 -> domain = in.readString();
                    default -> in.skipField(tag);
                }
            }
            // "ai.onnx" is the default domain under its explicit name.
            if (domain.equals("ai.onnx")) {
                domain = "";
            }
            return new Node(name, op, domain, List.copyOf(ins), List.copyOf(outs), Collections.unmodifiableMap(attrs));
        }

        private Attribute readAttribute() throws IOException {
            String name = "";
            int type = 0;
            float f = 0;
            long i = 0;
            String s = null;
            Tensor t = null;
            List<Float> floats = new ArrayList<>();
            List<Long> ints = new ArrayList<>();
            int tag;
            while ((tag = in.readTag()) != 0) {
                int wire = WireFormat.getTagWireType(tag);
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> name = in.readString();
                    case 20 -> type = in.readInt32();
                    case 2 -> f = in.readFloat();
                    case 3 -> i = in.readInt64();
                    case 4 -> s = in.readBytes().toString(StandardCharsets.UTF_8);
                    case 5 -> {
                        int old = enter();
                        t = readTensor();
                        in.popLimit(old);
                    }
                    case 7 -> readFloats(wire, floats);
                    case 8 -> readLongs(wire, ints);
                    default -> in.skipField(tag); // graphs, sparse tensors, strings: not needed here
                }
            }
            float[] fa = new float[floats.size()];
            for (int k = 0; k < fa.length; k++) {
                fa[k] = floats.get(k);
            }
            long[] ia = ints.stream().mapToLong(Long::longValue).toArray();
            return new Attribute(name, type, f, i, s, t, fa, ia);
        }

        /** Repeated floats, packed (wire type 2) or not (wire type 5): proto2 writers differ. */
        private void readFloats(int wire, List<Float> out) throws IOException {
            if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int old = enter();
                while (in.getBytesUntilLimit() > 0) {
                    out.add(in.readFloat());
                }
                in.popLimit(old);
            } else {
                out.add(in.readFloat());
            }
        }

        private void readLongs(int wire, List<Long> out) throws IOException {
            if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int old = enter();
                while (in.getBytesUntilLimit() > 0) {
                    out.add(in.readInt64());
                }
                in.popLimit(old);
            } else {
                out.add(in.readInt64());
            }
        }

        private void readDoubles(int wire, List<Double> out) throws IOException {
            if (wire == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                int old = enter();
                while (in.getBytesUntilLimit() > 0) {
                    out.add(in.readDouble());
                }
                in.popLimit(old);
            } else {
                out.add(in.readDouble());
            }
        }

        private Tensor readTensor() throws IOException {
            List<Long> dims = new ArrayList<>();
            int dataType = 0;
            String name = "";
            ByteBuffer raw = null;
            List<Float> floats = new ArrayList<>();
            List<Long> int32s = new ArrayList<>();
            List<Long> int64s = new ArrayList<>();
            List<Double> doubles = new ArrayList<>();
            Map<String, String> external = new LinkedHashMap<>();
            long location = 0;
            int tag;
            while ((tag = in.readTag()) != 0) {
                int wire = WireFormat.getTagWireType(tag);
                switch (WireFormat.getTagFieldNumber(tag)) {
                    case 1 -> readLongs(wire, dims);
                    case 2 -> dataType = in.readInt32();
                    case 4 -> readFloats(wire, floats);
                    case 5 -> readLongs(wire, int32s);
                    case 7 -> readLongs(wire, int64s);
                    case 8 -> name = in.readString();
                    case 9 -> {
                        // A view of the mapped file: the current position is the stream's byte count.
                        int len = in.readRawVarint32();
                        int start = in.getTotalBytesRead();
                        in.skipRawBytes(len);
                        raw = buf.duplicate().position(start).limit(start + len).slice()
                                .order(ByteOrder.LITTLE_ENDIAN);
                    }
                    case 10 -> readDoubles(wire, doubles);
                    case 13 -> {
                        int old = enter();
                        String k = "";
                        String v = "";
                        int t;
                        while ((t = in.readTag()) != 0) {
                            switch (WireFormat.getTagFieldNumber(t)) {
                                case 1 -> k = in.readString();
                                case 2 -> v = in.readString();
                                default -> in.skipField(t);
                            }
                        }
                        in.popLimit(old);
                        external.put(k, v);
                    }
                    case 14 -> location = in.readInt64();
                    default -> in.skipField(tag);
                }
            }
            long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
            long numel = 1;
            for (long d : shape) {
                numel *= d;
            }
            int es = elementSize(dataType, name);
            ByteBuffer data;
            if (location == 1) {
                data = external(name, external, numel * es);
            } else if (raw != null) {
                data = raw;
            } else {
                data = fromTypedFields(name, dataType, numel, floats, int32s, int64s, doubles);
            }
            if (data.remaining() != numel * es) {
                throw new IOException("ONNX tensor '" + name + "' of shape " + Arrays.toString(shape) + " and type "
                        + dataTypeName(dataType) + " needs " + numel * es + " bytes, found " + data.remaining());
            }
            return new Tensor(name, dataType, shape, data);
        }

        private ByteBuffer fromTypedFields(String name, int dataType, long numel, List<Float> floats,
                List<Long> int32s, List<Long> int64s, List<Double> doubles) throws IOException {
            int n = Math.toIntExact(numel);
            ByteBuffer b = ByteBuffer.allocate(n * elementSize(dataType, name)).order(ByteOrder.LITTLE_ENDIAN);
            switch (dataType) {
                case FLOAT -> floats.forEach(b::putFloat);
                case DOUBLE -> doubles.forEach(b::putDouble);
                case INT64 -> int64s.forEach(b::putLong);
                case INT32 -> int32s.forEach(v -> b.putInt(v.intValue()));
                // float16 / bfloat16 / small ints travel in int32_data, one element per entry.
                case FLOAT16, BFLOAT16 -> int32s.forEach(v -> b.putShort((short) v.longValue()));
                case INT8, UINT8, BOOL -> int32s.forEach(v -> b.put((byte) v.longValue()));
                default -> throw new IOException("ONNX tensor '" + name + "' has unsupported type "
                        + dataTypeName(dataType));
            }
            b.flip();
            return b.order(ByteOrder.LITTLE_ENDIAN);
        }

        private ByteBuffer external(String name, Map<String, String> ext, long bytes) throws IOException {
            String location = ext.get("location");
            if (location == null) {
                throw new IOException("ONNX tensor '" + name + "' is stored externally but names no location");
            }
            Path dir = file.toAbsolutePath().getParent();
            Path f = dir.resolve(location).normalize();
            if (!f.startsWith(dir)) {
                throw new IOException("ONNX tensor '" + name + "': external data location '" + location
                        + "' leaves the model folder " + dir);
            }
            long offset = Long.parseLong(ext.getOrDefault("offset", "0"));
            long length = Long.parseLong(ext.getOrDefault("length", Long.toString(bytes)));
            if (length > Integer.MAX_VALUE) {
                throw new IOException("ONNX tensor '" + name + "' holds " + length + " bytes; tensors over 2 GB are "
                        + "not supported");
            }
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                if (offset + length > ch.size()) {
                    throw new IOException("ONNX tensor '" + name + "': bytes " + offset + ".." + (offset + length)
                            + " lie past the end of " + f + " (" + ch.size() + " bytes)");
                }
                return ch.map(FileChannel.MapMode.READ_ONLY, offset, length).order(ByteOrder.LITTLE_ENDIAN);
            } catch (NoSuchFileException e) {
                throw new NoSuchFileException(f.toString(), null, "external data file of ONNX tensor '" + name
                        + "' not found");
            }
        }
    }

    /** IEEE half to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            // Subnormal half: mant * 2^-24.
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    static int elementSize(int dataType, String name) {
        return switch (dataType) {
            case FLOAT, INT32 -> 4;
            case DOUBLE, INT64 -> 8;
            case FLOAT16, BFLOAT16 -> 2;
            case INT8, UINT8, BOOL -> 1;
            default -> throw new IllegalArgumentException("ONNX tensor '" + name + "' has unsupported data type "
                    + dataTypeName(dataType));
        };
    }

    static String dataTypeName(int dataType) {
        return switch (dataType) {
            case FLOAT -> "float32";
            case UINT8 -> "uint8";
            case INT8 -> "int8";
            case 4 -> "uint16";
            case 5 -> "int16";
            case INT32 -> "int32";
            case INT64 -> "int64";
            case 8 -> "string";
            case BOOL -> "bool";
            case FLOAT16 -> "float16";
            case DOUBLE -> "float64";
            case 12 -> "uint32";
            case 13 -> "uint64";
            case BFLOAT16 -> "bfloat16";
            default -> "data_type " + dataType;
        };
    }
}
