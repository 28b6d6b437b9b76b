package io.transformers4j.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.weights.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fused decoder layer's own parts: its SiLU tables are LibTorch's two loops (the layer against the op-by-op path
 * is LlamaFusedDecoderLayerTest in transformers-models), and what it declines.
 */
class FusedDecoderLayerTest extends ManagedArraysTest {

    @BeforeEach
    void kernels() {
        Assumptions.assumeTrue(FusedDecoderLayer.isEnabled(), "native kernels unavailable here");
    }

    private NDArray bf16Bits(short[] bits) {
        ByteBuffer b = ByteBuffer.allocateDirect(bits.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < bits.length; i++) {
            b.putShort(i * 2, bits[i]);
        }
        return TorchOps.fromBlob(b, new long[] {bits.length}, DType.BF16, manager);
    }

    private static short bits(ByteBuffer b, int i) {
        return b.order(ByteOrder.LITTLE_ENDIAN).getShort(i * 2);
    }

    @Test
    void siluTablesAreLibTorchsVectorisedBodyAndScalarTail() {
        ByteBuffer vector = FusedDecoderLayer.SiluTables.VECTOR_TABLE;
        ByteBuffer scalar = FusedDecoderLayer.SiluTables.SCALAR_TABLE;
        List<Short> differ = new ArrayList<>();
        for (int i = 0; i < 65536; i++) {
            if (bits(vector, i) != bits(scalar, i) && !Float.isNaN(Float.intBitsToFloat(i << 16))) {
                differ.add((short) i);
            }
        }
        // Sleef's exp and std::exp round some inputs apart: without such inputs the two tables could not be told apart
        assertTrue(differ.size() > 0, "the two loops never differ: one table would do");
        // 88 elements: LibTorch's loop computes [0, 64) vectorised and [64, 88) scalar, as the kernel's lookup assumes
        short[] in = new short[88];
        for (int i = 0; i < in.length; i++) {
            in[i] = differ.get(i % differ.size());
        }
        ByteBuffer out = TorchOps.toByteBuffer(TorchOps.silu(bf16Bits(in)));
        for (int i = 0; i < in.length; i++) {
            ByteBuffer table = i < 64 ? vector : scalar;
            assertEquals(bits(table, in[i] & 0xffff), bits(out, i), "element " + i + " of 88");
        }
    }

    private NDArray bf16(long... shape) {
        return cast(manager.randomNormal(new Shape(shape)), DType.BF16);
    }

    private static NDArray f32(NDArray x) {
        return TorchOps.toDType(x, DType.F32);
    }

    @Test
    void prepareDeclinesWhatTheKernelDoesNotTake() {
        int hidden = 64;
        int heads = 4;
        int kv = 2;
        int inter = 96;
        NDArray norm = bf16(hidden);
        NDArray q = bf16(heads * 16, hidden);
        NDArray k = bf16(kv * 16, hidden);
        NDArray v = bf16(kv * 16, hidden);
        NDArray o = bf16(hidden, heads * 16);
        NDArray g = bf16(inter, hidden);
        NDArray u = bf16(inter, hidden);
        NDArray d = bf16(hidden, inter);
        FusedDecoderLayer layer = FusedDecoderLayer.prepare(norm, 1e-6f, q, k, v, o, norm, 1e-6f, g, u, d, heads, kv);
        assertNotNull(layer);
        FusedDecoderLayer f32 = FusedDecoderLayer.prepare(f32(norm), 1e-6f, f32(q), f32(k), f32(v), f32(o), f32(norm),
                1e-6f, f32(g), f32(u), f32(d), heads, kv);
        assertNotNull(f32, "float32");
        assertNull(FusedDecoderLayer.prepare(norm, 1e-6f, q, k, v, f32(o), norm, 1e-6f, g, u, d, heads, kv),
                "one float32 weight among bfloat16 ones");
        assertNull(FusedDecoderLayer.prepare(TorchOps.toDType(norm, DType.F16), 1e-6f, TorchOps.toDType(q, DType.F16),
                TorchOps.toDType(k, DType.F16), TorchOps.toDType(v, DType.F16), TorchOps.toDType(o, DType.F16),
                TorchOps.toDType(norm, DType.F16), 1e-6f, TorchOps.toDType(g, DType.F16),
                TorchOps.toDType(u, DType.F16), TorchOps.toDType(d, DType.F16), heads, kv), "float16");
        assertNull(FusedDecoderLayer.prepare(norm, 1e-6f, q, k, v, o, norm, 1e-6f, g, u, d, 8, kv), "head_dim 8");
        assertNull(FusedDecoderLayer.prepare(norm, 1e-6f, q, k, v, o, norm, 1e-6f, g, u, d, heads, 3),
                "heads not a multiple of kv_heads");
        assertNull(FusedDecoderLayer.prepare(norm, 1e-6f, q, k, v, o, norm, 1e-6f, g, u, bf16(hidden, inter + 2),
                heads, kv), "down_proj of another size");
        assertNull(FusedDecoderLayer.prepare(norm, 1e-6f, q, k, v, o.transpose(), norm, 1e-6f, g, u, d, heads, kv),
                "a transposed (non-contiguous) o_proj");

        // forward: a key cache (1, kv, 8, 16), the token at position 3, keys [0, 4)
        NDArray x = bf16(1, 1, hidden);
        NDArray cos = bf16(1, 1, 1, 16);
        NDArray sin = bf16(1, 1, 1, 16);
        NDArray kc = bf16(1, kv, 8, 16);
        NDArray vc = bf16(1, kv, 8, 16);
        NDArray mask = cast(manager.zeros(new Shape(1, 1, 1, 4)), DType.BF16);
        assertNotNull(layer.forward(x, cos, sin, kc, vc, 3, mask));
        assertNull(layer.forward(x, cos, sin, kc, vc, 4, mask), "position outside the attended keys");
        assertNull(layer.forward(bf16(1, 2, hidden), cos, sin, kc, vc, 3, mask), "two tokens");
        assertNull(layer.forward(f32(x), cos, sin, kc, vc, 3, mask), "float32 hidden states, bfloat16 weights");
        assertNull(f32.forward(x, cos, sin, kc, vc, 3, mask), "bfloat16 hidden states, float32 weights");
        assertNotNull(f32.forward(f32(x), f32(cos), f32(sin), f32(kc), f32(vc), 3, f32(mask)));
        assertNull(layer.forward(x, cos, sin, kc, vc, 3, cast(manager.zeros(new Shape(1, 1, 1, 9)), DType.BF16)),
                "more keys than the cache holds");
        FusedDecoderLayer.setEnabled(false);
        try {
            assertNull(layer.forward(x, cos, sin, kc, vc, 3, mask), "turned off");
        } finally {
            FusedDecoderLayer.setEnabled(true);
        }
    }
}
