package io.transformers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.transformers4j.weights.TorchPickle.StorageRef;
import io.transformers4j.weights.TorchPickle.TensorRef;
import io.transformers4j.weights.TorchZipArchive.Entry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A {@code pytorch_model.bin} written by {@code torch.save} (PyTorch >= 1.6): a zip archive holding
 * {@code <archive>/data.pkl} (the pickled state dict), one entry {@code <archive>/data/<key>} per storage, and
 * {@code <archive>/version} (plus {@code byteorder} since PyTorch 2.1).
 *
 * <p>The pickle is read by {@link TorchPickle}, a restricted interpreter that runs no code and refuses any global a
 * state dict does not need ({@link UnsafePickleException}). Every tensor is validated when the file is opened (its
 * storage entry exists and holds the whole strided view), so a broken file fails before any tensor is made.
 * Tensors are then created over private mappings of their storage (zero-copy when contiguous; copied through the
 * strides otherwise). Several tensors may share one storage, as they do in PyTorch.
 *
 * <p>Files from PyTorch before 1.6 (not a zip) are detected and refused with a message saying how to convert them.
 */
public final class PickleTensorSource implements TensorSource {

    /** The pickle of a state dict is small; anything larger than this is not one. */
    private static final long MAX_PICKLE_BYTES = 1L << 30;

    /** torch.serialization.MAGIC_NUMBER, as the legacy format's first pickle (protocol 2, LONG1 of 10 bytes). */
    private static final byte[] LEGACY_MAGIC = {
        (byte) 0x80, 0x02, (byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46, (byte) 0xf9, 0x20, 0x6a,
        (byte) 0xa8, 0x50, 0x19
    };

    private final Path file;
    private final TorchZipArchive zip;
    private final Map<String, TensorRef> tensors;
    private final Map<String, TensorInfo> infos;
    private final Map<String, Entry> storages;
    private final boolean bigEndian;

    private PickleTensorSource(Path file, TorchZipArchive zip, Map<String, TensorRef> tensors,
            Map<String, Entry> storages, boolean bigEndian) {
        this.file = file;
        this.zip = zip;
        this.tensors = tensors;
        this.storages = storages;
        this.bigEndian = bigEndian;
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        tensors.forEach((k, t) -> infos.put(k, new TensorInfo(k, t.dtype(), t.size())));
        this.infos = Collections.unmodifiableMap(infos);
    }

    /** Opens and validates {@code file}. */
    public static PickleTensorSource open(Path file) throws IOException {
        FileChannel ch;
        try {
            ch = TensorBytes.openForMapping(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "PyTorch checkpoint not found");
        }
        try {
            checkMagic(file, ch);
            // The archive takes over the channel; closing it (below, or in close()) closes the file.
            return read(file, TorchZipArchive.open(file, ch));
        } catch (IOException | RuntimeException | Error e) {
            ch.close();
            throw e;
        }
    }

    private static PickleTensorSource read(Path file, TorchZipArchive zip) throws IOException {
        Map<String, Entry> entries = zip.entries();
        // The archive's folder name is whatever torch.save chose (the file's stem, or "archive"): find data.pkl.
        String prefix = null;
        for (String name : entries.keySet()) {
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash).equals("/data.pkl")) {
                if (prefix != null) {
                    throw new IOException("Corrupt PyTorch checkpoint " + file + ": more than one data.pkl ("
                            + prefix + "data.pkl, " + name + ")");
                }
                prefix = name.substring(0, slash + 1);
            }
        }
        if (prefix == null) {
            throw new IOException("Not a torch.save checkpoint: " + file + " is a zip archive without "
                    + "<archive>/data.pkl (entries: " + abbreviate(entries.keySet()) + ")");
        }
        if (!entries.containsKey(prefix + "version") && !entries.containsKey(prefix + ".data/version")) {
            throw new IOException("Corrupt PyTorch checkpoint " + file + ": no " + prefix + "version entry");
        }
        boolean bigEndian = false;
        Entry byteorder = entries.get(prefix + "byteorder");
        if (byteorder != null) {
            String order = StandardCharsets.US_ASCII.decode(zip.read(byteorder, 16)).toString().trim();
            if (!order.equals("little") && !order.equals("big")) {
                throw new IOException("Corrupt PyTorch checkpoint " + file + ": byteorder is '" + order + "'");
            }
            bigEndian = order.equals("big");
        }
        Entry pkl = entries.get(prefix + "data.pkl");
        String where = file + " (" + pkl.name() + ")";
        Object root = TorchPickle.load(zip.read(pkl, MAX_PICKLE_BYTES), where);
        if (!(root instanceof Map<?, ?> dict)) {
            throw new IOException("Unsupported PyTorch checkpoint " + file + ": it holds "
                    + TorchPickle.describe(root) + ", not a state dict (a dict of tensors)");
        }
        Map<String, TensorRef> tensors = new LinkedHashMap<>();
        Map<String, Entry> storages = new LinkedHashMap<>();
        for (Map.Entry<?, ?> item : dict.entrySet()) {
            if (!(item.getKey() instanceof String key)) {
                throw new IOException("Unsupported PyTorch checkpoint " + file + ": state dict key "
                        + TorchPickle.describe(item.getKey()) + " is not a string");
            }
            if (!(item.getValue() instanceof TensorRef t)) {
                throw new IOException("Unsupported PyTorch checkpoint " + file + ": '" + key + "' holds "
                        + TorchPickle.describe(item.getValue()) + ", not a tensor; only flat state dicts "
                        + "(name -> tensor, as save_pretrained writes) can be loaded");
            }
            StorageRef s = t.storage();
            Entry data = entries.get(prefix + "data/" + s.key());
            if (data == null) {
                throw new IOException("Corrupt PyTorch checkpoint " + file + ": tensor '" + key + "' uses storage '"
                        + s.key() + "', but the archive has no entry " + prefix + "data/" + s.key());
            }
            if (data.size() < s.byteSize()) {
                throw new IOException("Corrupt PyTorch checkpoint " + file + ": storage " + data.name() + " has "
                        + data.size() + " bytes, but its persistent id declares " + s.byteSize());
            }
            try {
                long numel = 1;
                for (long d : t.size()) {
                    numel = Math.multiplyExact(numel, d);
                }
                Math.multiplyExact(numel, t.dtype().byteSize());
            } catch (ArithmeticException e) {
                throw new IOException("Corrupt PyTorch checkpoint " + file + ": tensor '" + key + "' has size "
                        + Arrays.toString(t.size()) + ", more elements than fit in memory");
            }
            long extent = extent(t);
            long available = s.byteSize() / t.dtype().byteSize();
            if (extent > available || t.storageOffset() > available - extent) {
                throw new IOException("Corrupt PyTorch checkpoint " + file + ": tensor '" + key + "' ("
                        + t.dtype() + " " + Arrays.toString(t.size()) + ", stride " + Arrays.toString(t.stride())
                        + ", offset " + t.storageOffset() + ") reaches past the end of its storage (" + available
                        + " elements)");
            }
            tensors.put(key, t);
            storages.put(s.key(), data);
        }
        return new PickleTensorSource(file, zip, tensors, storages, bigEndian);
    }

    /** Elements of the storage a strided view spans: 1 + sum((size - 1) * stride), 0 when empty. */
    private static long extent(TensorRef t) {
        long last = 0;
        for (int i = 0; i < t.size().length; i++) {
            if (t.size()[i] == 0) {
                return 0;
            }
            try {
                last = Math.addExact(last, Math.multiplyExact(t.size()[i] - 1, t.stride()[i]));
            } catch (ArithmeticException e) {
                return Long.MAX_VALUE; // reported as reaching past the storage
            }
        }
        return last + 1;
    }

    private static void checkMagic(Path file, FileChannel ch) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(LEGACY_MAGIC.length);
        while (head.hasRemaining() && ch.read(head, head.position()) > 0) {
            // read what there is
        }
        byte[] b = Arrays.copyOf(head.array(), head.position());
        if (b.length >= 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4) {
            return;
        }
        if (Arrays.equals(b, LEGACY_MAGIC)) {
            throw new IOException(file + " is a PyTorch checkpoint in the legacy format of torch.save before "
                    + "PyTorch 1.6, which is not supported. Re-save it with a newer PyTorch (torch.save(torch.load(f), "
                    + "f)) or, better, convert it to safetensors (model.save_pretrained(dir, safe_serialization=True)).");
        }
        if (b.length > 0 && (b[0] & 0xFF) == 0x80) {
            throw new IOException(file + " is a bare pickle, not the zip archive torch.save writes; re-save it with "
                    + "torch.save (PyTorch >= 1.6) or convert it to safetensors");
        }
        throw new IOException("Not a PyTorch checkpoint: " + file + " (" + ch.size() + " bytes) does not start "
                + "with a zip header" + (ch.size() == 0 ? " (the file is empty)" : ""));
    }

    private static String abbreviate(Set<String> names) {
        String s = String.join(", ", names);
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }

    @Override
    public Set<String> keys() {
        return infos.keySet();
    }

    @Override
    public TensorInfo info(String key) {
        TensorInfo i = infos.get(key);
        if (i == null) {
            throw new IllegalArgumentException("No tensor '" + key + "' in " + file);
        }
        return i;
    }

    @Override
    public NDArray load(String key, NDManager manager, DType dtype) throws IOException {
        TensorInfo info = info(key);
        TensorRef t = tensors.get(key);
        Entry data = storages.get(t.storage().key());
        int es = t.dtype().byteSize();
        long numel = t.numel();
        ByteBuffer bytes;
        if (t.isContiguous()) {
            bytes = zip.map(data, t.storageOffset() * es, numel * es);
            if (bigEndian && es > 1) {
                bytes = swapped(bytes, es);
            }
        } else {
            ByteBuffer span = zip.map(data, t.storageOffset() * es, extent(t) * es);
            bytes = gather(span, t, es, bigEndian, "'" + key + "' in " + file);
        }
        return TensorBytes.toNDArray(bytes, info, manager, dtype);
    }

    /**
     * A contiguous little-endian copy of a strided view (PyTorch's {@code .contiguous()}), row by row over the last
     * dimension. Reading elements in the storage's byte order and writing them little-endian also does any swap.
     */
    private static ByteBuffer gather(ByteBuffer span, TensorRef t, int es, boolean bigEndian, String what)
            throws IOException {
        long numel = t.numel();
        if (numel * es > Integer.MAX_VALUE) {
            throw new IOException("Tensor " + what + " is a strided view of " + numel + " elements, too large to copy "
                    + "into one buffer (at most 2 GB)");
        }
        ByteBuffer in = span.duplicate().order(bigEndian ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocateDirect((int) (numel * es)).order(ByteOrder.LITTLE_ENDIAN);
        if (numel == 0) {
            return out;
        }
        long[] size = t.size();
        long[] stride = t.stride();
        int rank = size.length;
        if (rank == 0) {
            copyRun(in, 0, 1, 1, out, 0, es, bigEndian);
            return out;
        }
        int rowLen = (int) size[rank - 1];
        long rowStride = stride[rank - 1];
        long rows = numel / rowLen;
        long[] index = new long[rank - 1];
        long src = 0; // element offset of the row's start within span
        int dst = 0;
        for (long r = 0; r < rows; r++) {
            copyRun(in, src, rowStride, rowLen, out, dst, es, bigEndian);
            dst += rowLen * es;
            // Odometer over the outer dimensions, last first.
            for (int d = rank - 2; d >= 0; d--) {
                if (++index[d] < size[d]) {
                    src += stride[d];
                    break;
                }
                src -= (size[d] - 1) * stride[d];
                index[d] = 0;
            }
        }
        return out;
    }

    /** Copies {@code n} elements at element offset {@code src} (step {@code step}) to byte offset {@code dst}. */
    private static void copyRun(ByteBuffer in, long src, long step, int n, ByteBuffer out, int dst, int es,
            boolean swap) {
        if (step == 1 && (!swap || es == 1)) {
            out.put(dst, in, (int) (src * es), n * es);
            return;
        }
        int s = (int) (src * es);
        int stepBytes = (int) (step * es);
        for (int i = 0; i < n; i++, s += stepBytes, dst += es) {
            switch (es) {
                case 1: out.put(dst, in.get(s)); break;
                case 2: out.putShort(dst, in.getShort(s)); break;
                case 4: out.putInt(dst, in.getInt(s)); break;
                default: out.putLong(dst, in.getLong(s)); break;
            }
        }
    }

    /** Big-endian storages (PyTorch's byteorder entry says "big"), as little-endian. */
    private static ByteBuffer swapped(ByteBuffer in, int es) {
        ByteBuffer out = ByteBuffer.allocateDirect(in.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copyRun(in.duplicate().order(ByteOrder.BIG_ENDIAN), 0, 1, in.remaining() / es, out, 0, es, true);
        return out;
    }

    /** Empty: a pickle has no safetensors {@code __metadata__}. */
    @Override
    public Map<String, String> metadata() {
        return Map.of();
    }

    @Override
    public String describe() {
        return file.toString();
    }

    @Override
    public void close() throws IOException {
        zip.close();
    }
}
