package io.transformers4j.weights;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The zip container {@code torch.save} writes (PyTorch >= 1.6): uncompressed (STORED) entries, 64-byte aligned, zip64
 * records for large files. Read here from its central directory rather than through {@code java.util.zip}, because
 * only the central directory gives each entry's data offset, and knowing it is what lets tensors be memory-mapped
 * instead of copied (a multi-GB checkpoint then costs page faults, not reads).
 *
 * <p>Everything is bounds-checked against the file size, so a truncated or crafted archive fails with a message
 * naming the file, never with an out-of-range read.
 */
final class TorchZipArchive implements Closeable {

    /** One stored entry: where its bytes are in the file. */
    record Entry(String name, long dataOffset, long size) {}

    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int CENTRAL_HEADER = 0x02014b50;
    private static final int END_OF_CENTRAL_DIR = 0x06054b50;
    private static final int ZIP64_END_OF_CENTRAL_DIR = 0x06064b50;
    private static final int ZIP64_LOCATOR = 0x07064b50;

    private final Path file;
    private final FileChannel channel;
    private final FileChannel.MapMode mapMode;
    private final long fileSize;
    private final Map<String, Entry> entries;

    private TorchZipArchive(Path file, FileChannel channel, long fileSize, Map<String, Entry> entries) {
        this.file = file;
        this.channel = channel;
        this.mapMode = TensorBytes.mapMode(channel);
        this.fileSize = fileSize;
        this.entries = entries;
    }

    /** Opens {@code file} (already known to start with a zip local header) and reads its directory. */
    static TorchZipArchive open(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        TorchZipArchive z = new TorchZipArchive(file, channel, size, new LinkedHashMap<>());
        z.readDirectory();
        return z;
    }

    Map<String, Entry> entries() {
        return Collections.unmodifiableMap(entries);
    }

    /** A small entry's bytes (data.pkl, version, byteorder), read into the heap. */
    ByteBuffer read(Entry e, long maxBytes) throws IOException {
        if (e.size > maxBytes) {
            throw corrupt("entry " + e.name + " is " + e.size + " bytes, more than the " + maxBytes + " expected");
        }
        ByteBuffer b = ByteBuffer.allocate((int) e.size);
        readFully(b, e.dataOffset);
        return b.flip();
    }

    /** A private (copy-on-write) mapping of {@code length} bytes of entry {@code e} from {@code offset}. */
    ByteBuffer map(Entry e, long offset, long length) throws IOException {
        if (offset < 0 || length < 0 || offset + length > e.size) {
            throw corrupt("byte range [" + offset + ", " + (offset + length) + ") lies outside entry " + e.name
                    + " (" + e.size + " bytes)");
        }
        if (length == 0) {
            return ByteBuffer.allocateDirect(0).order(ByteOrder.LITTLE_ENDIAN);
        }
        if (length > Integer.MAX_VALUE) {
            throw new IOException("A tensor in " + file + " (entry " + e.name + ") is " + length
                    + " bytes; one mapping holds at most " + Integer.MAX_VALUE);
        }
        return channel.map(mapMode, e.dataOffset + offset, length).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }

    // ---------------------------------------------------------------- the directory

    private void readDirectory() throws IOException {
        // End of central directory: 22 bytes + a comment of up to 65535, at the very end.
        int tailLen = (int) Math.min(fileSize, 22 + 65535);
        ByteBuffer tail = ByteBuffer.allocate(tailLen).order(ByteOrder.LITTLE_ENDIAN);
        readFully(tail, fileSize - tailLen);
        int eocd = -1;
        for (int i = tailLen - 22; i >= 0; i--) {
            if (tail.getInt(i) == END_OF_CENTRAL_DIR && i + 22 + (tail.getShort(i + 20) & 0xFFFF) == tailLen) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            throw corrupt("no zip end-of-central-directory record: the file is truncated (an interrupted download "
                    + "or copy?) or is not a torch.save archive");
        }
        long eocdPos = fileSize - tailLen + eocd;
        long count = tail.getShort(eocd + 10) & 0xFFFF;
        long cdSize = tail.getInt(eocd + 12) & 0xFFFFFFFFL;
        long cdOffset = tail.getInt(eocd + 16) & 0xFFFFFFFFL;
        if (count == 0xFFFF || cdSize == 0xFFFFFFFFL || cdOffset == 0xFFFFFFFFL) {
            // zip64: a locator just before the EOCD points at the zip64 end record with 64-bit fields.
            if (eocdPos < 20) {
                throw corrupt("zip64 archive without its zip64 locator");
            }
            ByteBuffer loc = readAt(eocdPos - 20, 20);
            if (loc.getInt(0) != ZIP64_LOCATOR) {
                throw corrupt("zip64 archive without its zip64 locator");
            }
            long z64 = loc.getLong(8);
            if (z64 < 0 || z64 + 56 > eocdPos) {
                throw corrupt("zip64 end record offset " + z64 + " is outside the file");
            }
            ByteBuffer rec = readAt(z64, 56);
            if (rec.getInt(0) != ZIP64_END_OF_CENTRAL_DIR) {
                throw corrupt("no zip64 end-of-central-directory record at " + z64);
            }
            count = rec.getLong(32);
            cdSize = rec.getLong(40);
            cdOffset = rec.getLong(48);
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset + cdSize > eocdPos || count < 0 || count > cdSize / 46 + 1) {
            throw corrupt("central directory (offset " + cdOffset + ", " + cdSize + " bytes, " + count
                    + " entries) does not fit in the file (" + fileSize + " bytes): truncated or corrupt");
        }
        if (cdSize > Integer.MAX_VALUE) {
            throw corrupt("central directory of " + cdSize + " bytes");
        }
        ByteBuffer cd = readAt(cdOffset, (int) cdSize);
        int p = 0;
        for (long i = 0; i < count; i++) {
            if (p + 46 > cd.limit() || cd.getInt(p) != CENTRAL_HEADER) {
                throw corrupt("central directory entry " + i + " is damaged");
            }
            int flags = cd.getShort(p + 8) & 0xFFFF;
            int method = cd.getShort(p + 10) & 0xFFFF;
            long compressed = cd.getInt(p + 20) & 0xFFFFFFFFL;
            long size = cd.getInt(p + 24) & 0xFFFFFFFFL;
            int nameLen = cd.getShort(p + 28) & 0xFFFF;
            int extraLen = cd.getShort(p + 30) & 0xFFFF;
            int commentLen = cd.getShort(p + 32) & 0xFFFF;
            long localOffset = cd.getInt(p + 42) & 0xFFFFFFFFL;
            if (p + 46 + nameLen + extraLen + commentLen > cd.limit()) {
                throw corrupt("central directory entry " + i + " runs past the directory");
            }
            byte[] nb = new byte[nameLen];
            cd.get(p + 46, nb);
            String name = new String(nb, StandardCharsets.UTF_8);
            // zip64 extra field: the 64-bit values of exactly those fields that are 0xFFFFFFFF, in this order.
            int x = p + 46 + nameLen;
            int xEnd = x + extraLen;
            while (x + 4 <= xEnd) {
                int id = cd.getShort(x) & 0xFFFF;
                int len = cd.getShort(x + 2) & 0xFFFF;
                if (x + 4 + len > xEnd) {
                    throw corrupt("entry " + name + " has a damaged extra field");
                }
                if (id == 0x0001) {
                    int q = x + 4;
                    if (size == 0xFFFFFFFFL) {
                        size = zip64Field(cd, q, x + 4 + len, name);
                        q += 8;
                    }
                    if (compressed == 0xFFFFFFFFL) {
                        compressed = zip64Field(cd, q, x + 4 + len, name);
                        q += 8;
                    }
                    if (localOffset == 0xFFFFFFFFL) {
                        localOffset = zip64Field(cd, q, x + 4 + len, name);
                    }
                }
                x += 4 + len;
            }
            p += 46 + nameLen + extraLen + commentLen;

            if ((flags & 1) != 0) {
                throw corrupt("entry " + name + " is encrypted");
            }
            if (method != 0 || compressed != size) {
                throw corrupt("entry " + name + " is compressed (zip method " + method + "); torch.save writes "
                        + "uncompressed entries, so this archive was repacked: re-save it with torch.save");
            }
            if (localOffset < 0 || localOffset + 30 > cdOffset) {
                throw corrupt("entry " + name + " has its local header outside the file");
            }
            ByteBuffer local = readAt(localOffset, 30);
            if (local.getInt(0) != LOCAL_HEADER) {
                throw corrupt("entry " + name + " has no local header at offset " + localOffset);
            }
            long dataOffset = localOffset + 30 + (local.getShort(26) & 0xFFFF) + (local.getShort(28) & 0xFFFF);
            if (size < 0 || dataOffset + size > cdOffset) {
                throw corrupt("entry " + name + " (" + size + " bytes at " + dataOffset + ") runs past the data "
                        + "area: the file is truncated or corrupt");
            }
            if (entries.put(name, new Entry(name, dataOffset, size)) != null) {
                throw corrupt("entry " + name + " appears twice");
            }
        }
    }

    private long zip64Field(ByteBuffer cd, int at, int end, String name) throws IOException {
        if (at + 8 > end) {
            throw corrupt("entry " + name + " has a short zip64 extra field");
        }
        return cd.getLong(at);
    }

    private ByteBuffer readAt(long pos, int len) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
        readFully(b, pos);
        return b.flip();
    }

    private void readFully(ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = channel.read(buf, pos);
            if (n < 0) {
                throw corrupt("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private IOException corrupt(String what) {
        return new IOException("Corrupt PyTorch checkpoint " + file + ": " + what);
    }
}
