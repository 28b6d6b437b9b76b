package io.transformers4j.weights;

import static io.transformers4j.weights.TorchSaveWriter.Spec;
import static io.transformers4j.weights.TorchSaveWriter.floats;
import static io.transformers4j.weights.TorchSaveWriter.specs;
import static io.transformers4j.weights.TorchSaveWriter.stateDictPickle;
import static io.transformers4j.weights.TorchSaveWriter.writeCheckpoint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.hub.ModelFiles;
import io.transformers4j.torch.Torch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShardedCheckpointTest {

    static final Path GPT2_SHARDED = PickleTensorSourceTest.FIXTURES.resolve("models/gpt2-lm-sharded");

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    /** GPT2LMHeadModel.state_dict() order (lm_head.weight is tied and not saved). */
    static List<String> gpt2StateDictOrder() {
        List<String> keys = new ArrayList<>(List.of("transformer.wte.weight", "transformer.wpe.weight"));
        for (int i = 0; i < 2; i++) {
            for (String k : List.of("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias",
                    "attn.c_proj.weight", "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight",
                    "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias")) {
                keys.add("transformer.h." + i + "." + k);
            }
        }
        keys.add("transformer.ln_f.weight");
        keys.add("transformer.ln_f.bias");
        return keys;
    }

    @Test
    void readsPythonsShardedCheckpoint() throws IOException {
        try (TensorSource s = Checkpoints.open(ModelFiles.local(GPT2_SHARDED)); NDManager m = NDManager.newBaseManager()) {
            ShardedTensorSource sharded = assertInstanceOf(ShardedTensorSource.class, s);
            assertEquals(List.of("model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                    "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors"), sharded.shardFiles());
            assertEquals(new TreeSet<>(gpt2StateDictOrder()), new TreeSet<>(s.keys()));
            assertEquals("122752", s.metadata().get("total_size"));
            long total = 0;
            for (String k : s.keys()) {
                NDArray a = s.load(k, m, null);
                assertArrayEquals(s.info(k).shape(), a.getShape().getShape(), k);
                total += s.info(k).byteSize();
            }
            assertEquals(122752, total);
            assertArrayEquals(new long[] {99, 32}, s.info("transformer.wte.weight").shape());
        }
    }

    /** Saving Python's tensors in Python's order with Python's limit ("40KB") gives Python's files, byte for byte. */
    @Test
    void saveReproducesPythonsShardLayout(@TempDir Path dir) throws IOException {
        try (TensorSource s = Checkpoints.open(ModelFiles.local(GPT2_SHARDED)); NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> stateDict = new LinkedHashMap<>();
            for (String k : gpt2StateDictOrder()) {
                stateDict.put(k, s.load(k, m, null));
            }
            Checkpoints.save(dir, stateDict, 40_000);
            assertEquals(Files.readString(GPT2_SHARDED.resolve(Checkpoints.SAFE_WEIGHTS_INDEX_NAME)),
                    Files.readString(dir.resolve(Checkpoints.SAFE_WEIGHTS_INDEX_NAME)));
            assertEquals(List.of("model-00001-of-00004.safetensors", "model-00002-of-00004.safetensors",
                    "model-00003-of-00004.safetensors", "model-00004-of-00004.safetensors",
                    "model.safetensors.index.json"), list(dir));
            try (TensorSource back = Checkpoints.open(ModelFiles.local(dir))) {
                for (String k : stateDict.keySet()) {
                    assertBytesEqual(k, stateDict.get(k), back.load(k, m, null));
                }
                for (int i = 1; i <= 4; i++) {
                    String shard = String.format("model-%05d-of-00004.safetensors", i);
                    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(shard))) {
                        assertEquals(Map.of("format", "pt"), f.metadata(), shard);
                    }
                }
            }
        }
    }

    @Test
    void shardedRoundTripOfEveryDtype(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = randomStateDict(m, new Random(1));
            Checkpoints.save(dir, t, 3000);
            List<String> files = list(dir);
            long shards = files.stream().filter(n -> n.matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
            assertTrue(shards >= 4, "expected several shards, got " + files);
            // Every shard respects the limit unless it holds a single tensor larger than it.
            for (String f : files) {
                if (f.endsWith(".safetensors")) {
                    try (SafetensorsFile sf = SafetensorsFile.open(dir.resolve(f))) {
                        long bytes = sf.keys().stream().mapToLong(k -> sf.info(k).byteSize()).sum();
                        assertTrue(bytes <= 3000 || sf.keys().size() == 1, f + " holds " + bytes + " bytes");
                    }
                }
            }
            try (TensorSource back = Checkpoints.open(ModelFiles.local(dir))) {
                assertInstanceOf(ShardedTensorSource.class, back);
                assertEquals(t.keySet(), back.keys());
                for (String k : t.keySet()) {
                    NDArray a = back.load(k, m, null);
                    assertEquals(t.get(k).getDataType(), a.getDataType(), k);
                    assertBytesEqual(k, t.get(k), a);
                }
            }
            // Large enough: one file, and the shards of the previous save are gone.
            Checkpoints.save(dir, t, Long.MAX_VALUE);
            assertEquals(List.of("model.safetensors"), list(dir));
            try (TensorSource back = Checkpoints.open(ModelFiles.local(dir))) {
                assertInstanceOf(SafetensorsFile.class, back);
                assertEquals(Map.of("format", "pt"), back.metadata());
                for (String k : t.keySet()) {
                    assertBytesEqual(k, t.get(k), back.load(k, m, null));
                }
            }
        }
    }

    @Test
    void staleFilesOfAPreviousSaveAreRemoved(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            for (int i = 0; i < 3; i++) {
                t.put("w" + i, m.randomNormal(new Shape(10, 10)));
            }
            Files.writeString(dir.resolve("config.json"), "{}");
            Files.writeString(dir.resolve("model_card.md"), "kept");
            Files.writeString(dir.resolve("pytorch_model.bin"), "kept: Python's safetensors save leaves it too");
            Checkpoints.save(dir, t, 400);
            assertEquals(List.of("config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                    "model-00003-of-00003.safetensors", "model.safetensors.index.json", "model_card.md",
                    "pytorch_model.bin"), list(dir));
            t.remove("w2");
            Checkpoints.save(dir, t, 400);
            assertEquals(List.of("config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                    "model.safetensors.index.json", "model_card.md", "pytorch_model.bin"), list(dir));
            Checkpoints.save(dir, t, 1 << 20);
            assertEquals(List.of("config.json", "model.safetensors", "model_card.md", "pytorch_model.bin"), list(dir));
            Checkpoints.save(dir, t, 400);
            assertEquals(List.of("config.json", "model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                    "model.safetensors.index.json", "model_card.md", "pytorch_model.bin"), list(dir));
        }
    }

    @Test
    void aFailedSaveLeavesThePreviousSaveAndNoPartialFiles(@TempDir Path dir) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("a", m.create(new float[] {1, 2, 3}));
            Checkpoints.save(dir, t, 1 << 20);
            byte[] before = Files.readAllBytes(dir.resolve("model.safetensors"));
            Map<String, NDArray> bad = new LinkedHashMap<>();
            for (int i = 0; i < 4; i++) {
                bad.put("w" + i, m.randomNormal(new Shape(10, 10)));
            }
            NDArray closed = m.create(new float[100], new Shape(10, 10));
            closed.getShape();
            closed.getDataType();
            closed.close();
            bad.put("broken", closed); // the last shard cannot be written
            assertThrows(RuntimeException.class, () -> Checkpoints.save(dir, bad, 400));
            assertEquals(List.of("model.safetensors"), list(dir));
            assertArrayEquals(before, Files.readAllBytes(dir.resolve("model.safetensors")));
        }
    }

    @Test
    void missingShardFailsAtOpenNamingIndexAndShard(@TempDir Path dir) throws IOException {
        copy(GPT2_SHARDED, dir);
        Files.delete(dir.resolve("model-00003-of-00004.safetensors"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Checkpoints.open(ModelFiles.local(dir)));
        assertTrue(e.getMessage().contains("model-00003-of-00004.safetensors")
                && e.getMessage().contains(dir.resolve("model.safetensors.index.json").toString()), e.getMessage());
    }

    @Test
    void keyMissingFromItsShardIsReportedWhenTheShardOpens(@TempDir Path dir) throws IOException {
        copy(GPT2_SHARDED, dir);
        Path index = dir.resolve("model.safetensors.index.json");
        // wte lives in shard 1; claim it is in shard 4.
        Files.writeString(index, Files.readString(index).replace(
                "\"transformer.wte.weight\": \"model-00001-of-00004.safetensors\"",
                "\"transformer.wte.weight\": \"model-00004-of-00004.safetensors\""));
        try (TensorSource s = Checkpoints.open(ModelFiles.local(dir)); NDManager m = NDManager.newBaseManager()) {
            s.load("transformer.wpe.weight", m, null); // shard 1 is fine
            IOException e = assertThrows(IOException.class, () -> s.load("transformer.ln_f.weight", m, null));
            assertTrue(e.getMessage().contains("'transformer.wte.weight'")
                    && e.getMessage().contains("model-00004-of-00004.safetensors")
                    && e.getMessage().contains(index.toString()), e.getMessage());
            UncheckedIOException u = assertThrows(UncheckedIOException.class, () -> s.info("transformer.wte.weight"));
            assertTrue(u.getMessage().contains("'transformer.wte.weight'"), u.getMessage());
        }
        Files.writeString(index, "{\"metadata\": {}, \"weight_map\": {\"a\": 3}}");
        IOException e = assertThrows(IOException.class, () -> Checkpoints.open(ModelFiles.local(dir)));
        assertTrue(e.getMessage().contains("weight_map[\"a\"]") && e.getMessage().contains(index.toString()),
                e.getMessage());
        Files.writeString(index, "{\"weight_map\": {\"a\": \"../../etc/passwd\"}}");
        e = assertThrows(IOException.class, () -> Checkpoints.open(ModelFiles.local(dir)));
        assertTrue(e.getMessage().contains("../../etc/passwd"), e.getMessage());
    }

    @Test
    void openFollowsPythonsOrderAndSaysWhatItLookedFor(@TempDir Path dir) throws IOException {
        NoSuchFileException none = assertThrows(NoSuchFileException.class, () -> Checkpoints.open(ModelFiles.local(dir)));
        for (String name : List.of("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json", dir.toString())) {
            assertTrue(none.getMessage().contains(name), none.getMessage());
        }
        // A sharded pytorch_model.bin, written by hand.
        writeCheckpoint(dir.resolve("pytorch_model-00001-of-00002.bin"),
                stateDictPickle(specs(Spec.contiguous("a", "FloatStorage", "0", 2))), Map.of("0", floats(1, 2)));
        writeCheckpoint(dir.resolve("pytorch_model-00002-of-00002.bin"),
                stateDictPickle(specs(Spec.contiguous("b", "FloatStorage", "0", 1))), Map.of("0", floats(3)));
        Files.writeString(dir.resolve("pytorch_model.bin.index.json"), "{\"metadata\": {\"total_size\": 12}, "
                + "\"weight_map\": {\"a\": \"pytorch_model-00001-of-00002.bin\", \"b\": \"pytorch_model-00002-of-00002.bin\"}}");
        try (TensorSource s = Checkpoints.open(ModelFiles.local(dir)); NDManager m = NDManager.newBaseManager()) {
            assertInstanceOf(ShardedTensorSource.class, s);
            assertArrayEquals(new float[] {1, 2}, s.load("a", m, null).toFloatArray());
            assertArrayEquals(new float[] {3}, s.load("b", m, null).toFloatArray());
        }
        Files.copy(PickleTensorSourceTest.BERT_BIN.resolve("pytorch_model.bin"), dir.resolve("pytorch_model.bin"));
        try (TensorSource s = Checkpoints.open(ModelFiles.local(dir))) {
            assertInstanceOf(PickleTensorSource.class, s);
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {}}");
        try (TensorSource s = Checkpoints.open(ModelFiles.local(dir))) {
            assertInstanceOf(ShardedTensorSource.class, s);
            assertEquals(0, s.keys().size());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Checkpoints.save(dir.resolve("single"), Map.of("x", m.create(new float[] {1})), 1 << 20);
        }
        Files.move(dir.resolve("single/model.safetensors"), dir.resolve("model.safetensors"));
        try (TensorSource s = Checkpoints.open(ModelFiles.local(dir))) {
            assertInstanceOf(SafetensorsFile.class, s);
        }
    }

    // ---------------------------------------------------------------- helpers

    static Map<String, NDArray> randomStateDict(NDManager m, Random r) {
        Map<String, NDArray> t = new LinkedHashMap<>();
        for (int i = 0; i < 6; i++) {
            float[] f = new float[50 + r.nextInt(300)];
            for (int j = 0; j < f.length; j++) {
                f[j] = (float) r.nextGaussian();
            }
            t.put("layer." + i + ".weight", m.create(f, new Shape(f.length)));
            t.put("layer." + i + ".half", m.create(f).toType(DataType.FLOAT16, false));
        }
        float[] big = new float[1500]; // 6000 bytes, over the 3000-byte limit: a shard of its own
        for (int j = 0; j < big.length; j++) {
            big[j] = j;
        }
        t.put("big", m.create(big, new Shape(30, 50)));
        t.put("f64", m.create(new double[] {Math.PI, -1e300}));
        t.put("ids", m.create(new long[] {1, -2, 1L << 50}));
        t.put("i32", m.create(new int[] {7, -8}));
        t.put("i8", m.create(new byte[] {-1, 2}));
        t.put("u8", m.create(new byte[] {(byte) 255, 2}).toType(DataType.UINT8, false));
        t.put("mask", m.create(new boolean[] {true, false, true}));
        t.put("scalar", m.create(2.5f));
        return t;
    }

    static void assertBytesEqual(String key, NDArray expected, NDArray actual) {
        assertArrayEquals(expected.getShape().getShape(), actual.getShape().getShape(), key);
        ByteBuffer e = expected.toByteBuffer();
        ByteBuffer a = actual.toByteBuffer();
        byte[] eb = new byte[e.remaining()];
        byte[] ab = new byte[a.remaining()];
        e.get(eb);
        a.get(ab);
        assertArrayEquals(eb, ab, key);
    }

    static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.collect(Collectors.toList())) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
    }
}
