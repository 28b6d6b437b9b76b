package io.transformers4j.weights;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Test helper: writes pickles opcode by opcode and packs them into archives laid out like {@code torch.save}'s
 * ({@code archive/data.pkl}, {@code archive/data/<key>}, {@code archive/version}), so that tests control every byte.
 */
final class TorchSaveWriter {

    /** A pickle under construction. */
    static final class Pickle {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Pickle op(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Pickle proto() {
            return op(0x80, 2);
        }

        Pickle mark() {
            return op('(');
        }

        Pickle tuple() {
            return op('t');
        }

        Pickle str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            writeLe(b.length, 4);
            out.writeBytes(b);
            return this;
        }

        Pickle integer(long v) {
            if (v >= 0 && v < 256) {
                return op('K', (int) v);
            }
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                op('J');
                writeLe(v, 4);
                return this;
            }
            op(0x8a, 8); // LONG1
            writeLe(v, 8);
            return this;
        }

        Pickle global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
            return this;
        }

        Pickle ints(long... values) {
            mark();
            for (long v : values) {
                integer(v);
            }
            return tuple();
        }

        /** BINPUT i: remember the top of the stack. */
        Pickle put(int i) {
            return op('q', i);
        }

        /** BINGET i. */
        Pickle get(int i) {
            return op('h', i);
        }

        private void writeLe(long v, int n) {
            for (int i = 0; i < n; i++) {
                out.write((int) (v >>> (8 * i)) & 0xFF);
            }
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    /** One tensor of a hand-made state dict: a view of storage {@code storageKey}. */
    record Spec(String key, String storageType, String storageKey, long storageNumel, long offset, long[] size,
            long[] stride) {
        static Spec contiguous(String key, String storageType, String storageKey, long... size) {
            long[] stride = new long[size.length];
            long n = 1;
            for (int i = size.length - 1; i >= 0; i--) {
                stride[i] = n;
                n *= size[i];
            }
            return new Spec(key, storageType, storageKey, n, 0, size, stride);
        }
    }

    /** The pickle torch.save writes for {@code {key: tensor, ...}} (a plain dict, as save_pretrained passes). */
    static byte[] stateDictPickle(List<Spec> specs) {
        Pickle p = new Pickle().proto().op('}').mark();
        for (Spec s : specs) {
            p.str(s.key()).global("torch._utils", "_rebuild_tensor_v2").mark();
            p.mark().str("storage").global("torch", s.storageType()).str(s.storageKey()).str("cpu")
                    .integer(s.storageNumel()).tuple().op('Q');
            p.integer(s.offset()).ints(s.size()).ints(s.stride()).op(0x89);
            p.global("collections", "OrderedDict").op(')').op('R');
            p.tuple().op('R');
        }
        return p.op('u').op('.').bytes();
    }

    /** Writes a torch.save-style zip (STORED entries) with {@code archive/} prefixed to every entry name. */
    static void writeArchive(Path file, Map<String, byte[]> entries) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry z = new ZipEntry("archive/" + e.getKey());
                byte[] data = e.getValue();
                CRC32 crc = new CRC32();
                crc.update(data);
                z.setMethod(ZipEntry.STORED);
                z.setSize(data.length);
                z.setCompressedSize(data.length);
                z.setCrc(crc.getValue());
                zip.putNextEntry(z);
                zip.write(data);
                zip.closeEntry();
            }
        }
    }

    /** A complete archive: data.pkl from {@code pickle}, the storages, and a version entry. */
    static void writeCheckpoint(Path file, byte[] pickle, Map<String, byte[]> storages) throws IOException {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("data.pkl", pickle);
        storages.forEach((k, v) -> entries.put("data/" + k, v));
        entries.put("version", "3\n".getBytes(StandardCharsets.US_ASCII));
        writeArchive(file, entries);
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static byte[] longs(long... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long x : v) {
            b.putLong(x);
        }
        return b.array();
    }

    static List<Spec> specs(Spec... s) {
        return new ArrayList<>(List.of(s));
    }

    private TorchSaveWriter() {}
}
