package io.transformers4j.models.mistral;

import static io.transformers4j.models.TestTensors.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.torch.Torch;
import io.transformers4j.torch.TorchOps;
import io.transformers4j.weights.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bfloat16 checkpoint loaded with dtype "auto" stays bfloat16 in memory: every parameter is bfloat16 (asked of
 * LibTorch), no float32 copy of the weights is made (the resident set grows by about the checkpoint's size, not by
 * the float32 size on top), and the logits (float32, as Python's {@code logits.float()}) are close to those of the
 * float32 model the checkpoint was rounded from.
 */
class MistralBfloat16CheckpointTest {

    @TempDir
    static Path dir;

    static Path f32;
    static Path bf16;

    @BeforeAll
    static void checkpoints() throws IOException {
        Torch.ensureThreadReady();
        // 38.4M parameters, most of them in the 32000-row embedding and head: 77 MB in bfloat16, 154 MB in float32,
        // so a float32 copy would stand out of the RSS noise.
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", 32000, "hidden_size", 512,
                "intermediate_size", 1408, "num_hidden_layers", 2, "num_attention_heads", 8, "num_key_value_heads", 2,
                "max_position_embeddings", 256, "initializer_range", 0.05));
        MistralConfig config = PretrainedConfig.fromMap(c, MistralConfig.class);
        f32 = dir.resolve("f32");
        bf16 = dir.resolve("bf16");
        try (MistralForCausalLM model = PreTrainedModel.fromConfig(MistralForCausalLM.CLASS, config, 7,
                Device.cpu())) {
            model.savePretrained(f32);
        }
        try (MistralForCausalLM model = MistralForCausalLM.fromPretrained(f32.toString(), local("bfloat16"))) {
            model.savePretrained(bf16);
        }
    }

    static LoadOptions local(String dtype) {
        return LoadOptions.defaults().withDtype(dtype).withLocalFilesOnly(true);
    }

    @Test
    void autoKeepsEveryParameterBfloat16AndTheLogitsCloseToFloat32() throws IOException {
        assertTrue(Files.readString(bf16.resolve("config.json")).contains("\"torch_dtype\" : \"bfloat16\""));
        try (MistralForCausalLM half = MistralForCausalLM.fromPretrained(bf16.toString(), local("auto"));
                MistralForCausalLM full = MistralForCausalLM.fromPretrained(f32.toString(), local("auto"));
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(DType.BF16, half.dtype());
            assertEquals(DType.F32, full.dtype());
            assertEquals(full.stateDict().keySet(), half.stateDict().keySet());
            half.stateDict().forEach((name, p) -> assertEquals(DType.BF16, TorchOps.dtypeOf(p), name));

            NDArray ids = m.create(randomIds(new Random(1), 2 * 24), new Shape(2, 24));
            NDArray mask = m.ones(ids.getShape(), DataType.INT64);
            NDArray logits = half.forward(ids, mask).logits();
            NDArray expected = full.forward(ids, mask).logits();
            assertEquals(DType.F32, TorchOps.dtypeOf(logits), "logits are upcast, as Python's logits.float()");
            // bfloat16 keeps 8 bits of mantissa: weights and activations are off by ~0.4% each, and the errors of
            // 2 layers and the head add up; compared against the logits' own scale.
            double scale = expected.abs().max().getFloat();
            assertClose("bfloat16 vs float32 logits", logits, expected, 0.03 * scale, 0.03);
            // and the same prediction almost everywhere
            long[] a = logits.argMax(-1).toLongArray();
            long[] e = expected.argMax(-1).toLongArray();
            int same = 0;
            for (int i = 0; i < a.length; i++) {
                same += a[i] == e[i] ? 1 : 0;
            }
            assertTrue(same >= 0.9 * a.length, same + " of " + a.length + " argmax positions agree");
        }
    }

    @Test
    void noFloat32CopyOfTheWeights() throws IOException {
        assumeTrue(Files.isReadable(Path.of("/proc/self/status")), "the resident set is read from Linux's /proc");
        long ckptBytes = Files.size(bf16.resolve("model.safetensors"));
        long f32Bytes = Files.size(f32.resolve("model.safetensors"));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(randomIds(new Random(2), 64), new Shape(1, 64));
            // Warm-up on a small bfloat16 model, so LibTorch's one-time allocations (oneDNN kernels, thread pools)
            // are not counted below.
            Map<String, Object> small = new HashMap<>(Map.of("vocab_size", 32000, "hidden_size", 64,
                    "intermediate_size", 128, "num_hidden_layers", 1, "num_attention_heads", 4,
                    "num_key_value_heads", 2, "torch_dtype", "bfloat16"));
            try (MistralForCausalLM warm = PreTrainedModel.fromConfig(MistralForCausalLM.CLASS,
                    PretrainedConfig.fromMap(small, MistralConfig.class), 1, Device.cpu())) {
                warm.forward(ids, null).logits().close();
            }
            long before = vmRssBytes();
            try (MistralForCausalLM half = MistralForCausalLM.fromPretrained(bf16.toString(), local("auto"))) {
                // A forward reads every weight (the embedding table only at the ids' rows), so every page a copy
                // would have made, and every mapped page used, is resident now.
                half.forward(ids, null).logits().close();
                long grown = vmRssBytes() - before;
                // Without a copy: at most the bfloat16 file (mapped) plus activations. A float32 copy alone would
                // add f32Bytes (2x the checkpoint).
                assertTrue(grown < 1.25 * ckptBytes, "RSS grew by " + grown / 1e6 + " MB loading a "
                        + ckptBytes / 1e6 + " MB bfloat16 checkpoint (a float32 copy would be " + f32Bytes / 1e6
                        + " MB more)");
                half.stateDict().forEach((name, p) -> assertEquals(DType.BF16, TorchOps.dtypeOf(p), name));
            }
        }
    }

    private static long[] randomIds(Random r, int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 3 + r.nextInt(32000 - 3);
        }
        return ids;
    }

    private static long vmRssBytes() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        throw new IllegalStateException("no VmRSS line in /proc/self/status");
    }
}
