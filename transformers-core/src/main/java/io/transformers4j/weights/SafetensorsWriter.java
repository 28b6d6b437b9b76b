package io.transformers4j.weights;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.torch.TorchOps;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes tensors in the safetensors format, the way Python's {@code safetensors.torch.save_file} does: the header
 * padded with spaces to a multiple of 8 bytes, {@code __metadata__} first, data in header order. The file is
 * written under a temporary name and moved into place, so a failure leaves no partial file.
 */
public final class SafetensorsWriter {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {}

    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) throws IOException {
        List<String> names = new ArrayList<>(tensors.keySet());
        ByteBuffer head = header(names, tensors, metadata);
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = AtomicFiles.createTempFile(dir, "." + file.getFileName(), ".tmp");
        try {
            writeTo(tmp, head, names, tensors);
            AtomicFiles.moveIntoPlace(tmp, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Writes the file to {@code tmp} (which exists) and forces it to disk, without moving it anywhere: for callers
     * that publish several files together ({@link Checkpoints#save} with shards).
     */
    static void writeTemp(Path tmp, Map<String, NDArray> tensors, Map<String, String> metadata) throws IOException {
        List<String> names = new ArrayList<>(tensors.keySet());
        writeTo(tmp, header(names, tensors, metadata), names, tensors);
    }

    private static void writeTo(Path tmp, ByteBuffer head, List<String> names, Map<String, NDArray> tensors)
            throws IOException {
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, head);
            for (String name : names) {
                ByteBuffer data = TorchOps.toByteBuffer(tensors.get(name)).order(ByteOrder.LITTLE_ENDIAN);
                writeFully(ch, data);
            }
            ch.force(true);
        }
    }

    /** The 8-byte length and the JSON header, padded with spaces to a multiple of 8 as Python does. */
    private static ByteBuffer header(List<String> names, Map<String, NDArray> tensors, Map<String, String> metadata)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (metadata != null && !metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (String name : names) {
            NDArray a = tensors.get(name);
            DType dt = TorchOps.dtypeOf(a);
            long[] shape = a.getShape().getShape();
            long bytes = a.getShape().size() * dt.byteSize();
            ObjectNode e = header.putObject(name);
            e.put("dtype", dt.safetensorsName());
            ArrayNode s = e.putArray("shape");
            for (long d : shape) {
                s.add(d);
            }
            ArrayNode off = e.putArray("data_offsets");
            off.add(offset);
            off.add(offset + bytes);
            offset += bytes;
        }
        byte[] h = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(h);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        return head;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
