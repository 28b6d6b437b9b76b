package io.transformers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One {@code .safetensors} file, memory-mapped: 8-byte little-endian header length, a JSON header
 * ({@code {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}}), then the raw
 * little-endian data. Every entry is validated when the file is opened (dtype, size, offsets inside the data and not
 * overlapping), so a corrupt file fails before any tensor is made.
 *
 * <p>Tensors are created zero-copy over a private (copy-on-write) mapping of their byte range, so there is no 2 GB
 * limit on the file and loading costs page faults, not reads; the mapping stays referenced by the tensor. A tensor
 * whose stored type differs from the requested one is converted (and the mapped original released).
 */
public final class SafetensorsFile implements TensorSource {

    /** Headers above this size are rejected as corrupt (the format's own limit is 100 MB). */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final FileChannel channel;
    /** PRIVATE (copy-on-write) where the file can be opened for writing, so an in-place op can never crash. */
    private final FileChannel.MapMode mapMode;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private record Entry(TensorInfo info, long begin, long end) {}

    private SafetensorsFile(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
            Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.mapMode = TensorBytes.mapMode(channel);
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens and validates {@code file}. */
    public static SafetensorsFile open(Path file) throws IOException {
        FileChannel ch;
        try {
            ch = TensorBytes.openForMapping(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "safetensors file not found");
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new IOException("Corrupt safetensors file " + file + ": " + size + " bytes, shorter than the "
                        + "8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.flip().getLong();
            if (headerLen < 2 || headerLen > MAX_HEADER_BYTES || headerLen > size - 8) {
                throw new IOException("Corrupt safetensors file " + file + ": header length " + Long.toUnsignedString(headerLen)
                        + " runs past the end of the file (" + size + " bytes) or exceeds the format's limit");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            String header = new String(headerBuf.array(), StandardCharsets.UTF_8);
            JsonNode root;
            try {
                root = JSON.readTree(header);
            } catch (IOException e) {
                throw new IOException("Corrupt safetensors file " + file + ": the header is not valid JSON ("
                        + e.getMessage() + ")", e);
            }
            if (root == null || !root.isObject()) {
                throw new IOException("Corrupt safetensors file " + file + ": the header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, String> metadata = new LinkedHashMap<>();
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    f.getValue().fields().forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.put(f.getKey(), parseEntry(file, f.getKey(), f.getValue(), dataLen));
            }
            checkOverlaps(file, entries);
            // File order = data order, which is what a reader expects to iterate.
            List<Map.Entry<String, Entry>> sorted = new ArrayList<>(entries.entrySet());
            sorted.sort(Comparator.comparingLong(e -> e.getValue().begin));
            Map<String, Entry> ordered = new LinkedHashMap<>();
            sorted.forEach(e -> ordered.put(e.getKey(), e.getValue()));
            return new SafetensorsFile(file, ch, dataStart, ordered, Collections.unmodifiableMap(metadata));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Entry parseEntry(Path file, String name, JsonNode node, long dataLen) throws IOException {
        String where = "Corrupt safetensors file " + file + ": tensor '" + name + "'";
        if (!node.isObject() || !node.has("dtype") || !node.has("shape") || !node.has("data_offsets")) {
            throw new IOException(where + " lacks dtype, shape or data_offsets");
        }
        DType dtype;
        try {
            dtype = DType.fromSafetensors(node.get("dtype").asText());
        } catch (IllegalArgumentException e) {
            throw new IOException(where + ": " + e.getMessage(), e);
        }
        JsonNode shapeNode = node.get("shape");
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = shapeNode.get(i).asLong(-1);
            if (shape[i] < 0) {
                throw new IOException(where + " has a negative or non-integer dimension in shape " + shapeNode);
            }
        }
        JsonNode off = node.get("data_offsets");
        if (!off.isArray() || off.size() != 2) {
            throw new IOException(where + " has data_offsets " + off + ", expected [begin, end]");
        }
        long begin = off.get(0).asLong(-1);
        long end = off.get(1).asLong(-1);
        TensorInfo info = new TensorInfo(name, dtype, shape);
        if (begin < 0 || end < begin || end > dataLen) {
            throw new IOException(where + " has data_offsets [" + begin + ", " + end + "] outside the data section ("
                    + dataLen + " bytes)");
        }
        if (end - begin != info.byteSize()) {
            throw new IOException(where + " has " + (end - begin) + " bytes of data but " + dtype + " "
                    + java.util.Arrays.toString(shape) + " needs " + info.byteSize());
        }
        return new Entry(info, begin, end);
    }

    private static void checkOverlaps(Path file, Map<String, Entry> entries) throws IOException {
        List<Map.Entry<String, Entry>> list = new ArrayList<>(entries.entrySet());
        list.sort(Comparator.comparingLong(e -> e.getValue().begin));
        for (int i = 1; i < list.size(); i++) {
            Entry prev = list.get(i - 1).getValue();
            Entry cur = list.get(i).getValue();
            if (cur.begin < prev.end) {
                throw new IOException("Corrupt safetensors file " + file + ": tensors '" + list.get(i - 1).getKey()
                        + "' and '" + list.get(i).getKey() + "' overlap in the data section");
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("Unexpected end of file");
            }
            pos += n;
        }
    }

    @Override
    public Set<String> keys() {
        return Collections.unmodifiableSet(entries.keySet());
    }

    @Override
    public TensorInfo info(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            throw new IllegalArgumentException("No tensor '" + key + "' in " + file);
        }
        return e.info;
    }

    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public String describe() {
        return file.toString();
    }

    /** The raw little-endian bytes of {@code key}, as a private mapping (writes never reach the file). */
    public ByteBuffer rawBytes(String key) throws IOException {
        Entry e = entries.get(key);
        if (e == null) {
            throw new IllegalArgumentException("No tensor '" + key + "' in " + file);
        }
        long len = e.end - e.begin;
        if (len == 0) {
            return ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        if (len > Integer.MAX_VALUE) {
            throw new IOException("Tensor '" + key + "' in " + file + " is " + len + " bytes; one mapping holds at most "
                    + Integer.MAX_VALUE);
        }
        MappedByteBuffer m = channel.map(mapMode, dataStart + e.begin, len);
        return m.order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public NDArray load(String key, NDManager manager, DType dtype) throws IOException {
        return TensorBytes.toNDArray(rawBytes(key), info(key), manager, dtype);
    }

    @Override
    public void close() throws IOException {
        // Mappings stay valid after the channel closes; tensors hold their own references to them.
        channel.close();
    }
}
