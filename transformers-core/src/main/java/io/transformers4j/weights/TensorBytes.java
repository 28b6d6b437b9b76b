package io.transformers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.TorchOps;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * What every checkpoint reader shares: turning a tensor's raw little-endian bytes (usually a private file mapping)
 * into an NDArray of the requested dtype, and opening files so that such mappings are copy-on-write.
 */
final class TensorBytes {
    private TensorBytes() {}

    /**
     * Opens {@code file} for mapping. Asked for write access only so that mappings can be PRIVATE (copy-on-write):
     * an in-place op on a tensor over a READ_ONLY mapping kills the JVM (NOTES-DJL.md). Nothing is ever written.
     * Falls back to read-only where the file cannot be opened for writing.
     */
    static FileChannel openForMapping(Path file) throws IOException {
        try {
            return FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (java.nio.file.NoSuchFileException e) {
            throw e;
        } catch (FileSystemException | UnsupportedOperationException e) {
            return FileChannel.open(file, StandardOpenOption.READ);
        }
    }

    /** PRIVATE where the channel allows it, else READ_ONLY. */
    static FileChannel.MapMode mapMode(FileChannel ch) {
        try {
            ch.map(FileChannel.MapMode.PRIVATE, 0, 0);
            return FileChannel.MapMode.PRIVATE;
        } catch (NonWritableChannelException | IOException e) {
            return FileChannel.MapMode.READ_ONLY;
        }
    }

    /**
     * Makes the tensor described by {@code info} from its contiguous little-endian {@code bytes}, converted to
     * {@code dtype} (null keeps the stored type; integer and bool tensors always keep theirs, as Python's
     * {@code from_pretrained(torch_dtype=...)} only casts floating-point parameters). A direct buffer is used
     * zero-copy and stays referenced by the tensor.
     */
    static NDArray toNDArray(ByteBuffer bytes, TensorInfo info, NDManager manager, DType dtype) {
        DType stored = info.dtype();
        DType target = dtype == null || !stored.isFloatingPoint() ? stored : dtype;
        Shape shape = new Shape(info.shape());
        if (stored == DType.BF16 || stored == DType.I16) {
            if (target == stored) {
                return TorchOps.fromBlob(bytes, info.shape(), stored, manager);
            }
            // Widen in Java (exact), then let LibTorch do any further cast.
            NDArray wide = stored == DType.BF16
                    ? manager.create(bf16ToFloat(bytes), shape)
                    : manager.create(i16ToInt(bytes), shape);
            return convert(wide, stored == DType.BF16 ? DType.F32 : DType.I32, target);
        }
        NDArray a = manager.create(bytes, shape, stored.djl());
        return convert(a, stored, target);
    }

    private static NDArray convert(NDArray a, DType have, DType want) {
        if (have == want) {
            return a;
        }
        try {
            return TorchOps.toDType(a, want);
        } finally {
            // The stored-type tensor (often over a file mapping) is only a step on the way.
            a.close();
        }
    }

    /** bfloat16 is the upper half of a float32: widening is a 16-bit shift, exact. */
    static FloatBuffer bf16ToFloat(ByteBuffer bytes) {
        int n = bytes.remaining() / 2;
        FloatBuffer out = ByteBuffer.allocateDirect(n * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        ByteBuffer le = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            int bits = (le.getShort(le.position() + 2 * i) & 0xFFFF) << 16;
            out.put(i, Float.intBitsToFloat(bits));
        }
        return out;
    }

    private static int[] i16ToInt(ByteBuffer bytes) {
        int n = bytes.remaining() / 2;
        int[] out = new int[n];
        ByteBuffer le = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            out[i] = le.getShort(le.position() + 2 * i);
        }
        return out;
    }
}
