package io.transformers4j.weights;

import static io.transformers4j.weights.TorchSaveWriter.Spec;
import static io.transformers4j.weights.TorchSaveWriter.floats;
import static io.transformers4j.weights.TorchSaveWriter.longs;
import static io.transformers4j.weights.TorchSaveWriter.specs;
import static io.transformers4j.weights.TorchSaveWriter.stateDictPickle;
import static io.transformers4j.weights.TorchSaveWriter.writeArchive;
import static io.transformers4j.weights.TorchSaveWriter.writeCheckpoint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.TorchSaveWriter.Pickle;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PickleTensorSourceTest {

    static final Path FIXTURES = locateFixtures();
    static final Path BERT_BIN = FIXTURES.resolve("models/bert-model-bin");

    static Path locateFixtures() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path f = p.resolve("tests/fixtures");
            if (Files.isDirectory(f.resolve("models"))) {
                return f;
            }
        }
        throw new IllegalStateException("tests/fixtures not found above " + Path.of("").toAbsolutePath());
    }

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    // ---------------------------------------------------------------- the real torch.save file

    @Test
    void readsTheRealTorchSaveFixture() throws IOException {
        try (PickleTensorSource s = PickleTensorSource.open(BERT_BIN.resolve("pytorch_model.bin"));
                NDManager m = NDManager.newBaseManager()) {
            List<String> keys = new ArrayList<>(s.keys());
            assertEquals(39, keys.size());
            // State-dict order, as torch.save wrote it.
            assertEquals(List.of("embeddings.word_embeddings.weight", "embeddings.position_embeddings.weight",
                    "embeddings.token_type_embeddings.weight", "embeddings.LayerNorm.weight",
                    "embeddings.LayerNorm.bias", "encoder.layer.0.attention.self.query.weight"), keys.subList(0, 6));
            assertEquals("pooler.dense.bias", keys.get(38));
            assertEquals(new TensorInfo("embeddings.word_embeddings.weight", DType.F32, new long[] {99, 32}),
                    s.info("embeddings.word_embeddings.weight"));
            assertArrayEquals(new long[] {32, 37}, s.info("encoder.layer.0.output.dense.weight").shape());
            assertArrayEquals(new long[] {37}, s.info("encoder.layer.1.intermediate.dense.bias").shape());
            for (String k : keys) {
                assertEquals(DType.F32, s.info(k).dtype(), k);
            }
            // Reference values computed in Python (pickle + numpy over the same file): sum, first, last element.
            Object[][] expected = {
                {"embeddings.word_embeddings.weight", 13.677234546397813, -0.008011427707970142, -0.5437118411064148},
                {"embeddings.LayerNorm.weight", 31.88529485464096, 1.1379352807998657, 0.9550511240959167},
                {"encoder.layer.0.output.dense.weight", 11.580596284664352, -0.28187936544418335, -0.07932021468877792},
                {"encoder.layer.1.intermediate.dense.bias", 0.32744465162977576, 0.008247914724051952, 0.03375920280814171},
                {"pooler.dense.bias", -0.36431367066688836, 0.06615259498357773, 0.14463207125663757},
            };
            for (Object[] e : expected) {
                float[] v = s.load((String) e[0], m, null).toFloatArray();
                double sum = 0;
                for (float f : v) {
                    sum += f;
                }
                assertClose((String) e[0] + " sum", (double) e[1], sum, 1e-9, 1e-9);
                assertEquals((double) e[2], v[0], 0.0, e[0] + "[0]");
                assertEquals((double) e[3], v[v.length - 1], 0.0, e[0] + "[-1]");
            }
        }
    }

    /**
     * The strongest check available without torch: BertEmbeddings computed from the .bin's tensors reproduces the
     * fixture's hidden_states.0, which Python computed from the same weights.
     */
    @Test
    void bertEmbeddingsFromTheBinMatchPythonsHiddenStates() throws IOException {
        try (PickleTensorSource s = PickleTensorSource.open(BERT_BIN.resolve("pytorch_model.bin"));
                SafetensorsFile in = SafetensorsFile.open(BERT_BIN.resolve("inputs.safetensors"));
                SafetensorsFile out = SafetensorsFile.open(BERT_BIN.resolve("outputs.safetensors"));
                NDManager m = NDManager.newBaseManager()) {
            float[] word = s.load("embeddings.word_embeddings.weight", m, null).toFloatArray();
            float[] pos = s.load("embeddings.position_embeddings.weight", m, null).toFloatArray();
            float[] type = s.load("embeddings.token_type_embeddings.weight", m, null).toFloatArray();
            float[] gamma = s.load("embeddings.LayerNorm.weight", m, null).toFloatArray();
            float[] beta = s.load("embeddings.LayerNorm.bias", m, null).toFloatArray();
            long[] ids = in.load("input_ids", m, null).toLongArray();
            long[] tt = in.load("token_type_ids", m, null).toLongArray();
            float[] expected = out.load("hidden_states.0", m, null).toFloatArray();
            int h = 32;
            int seq = 7;
            double worst = 0;
            int worstAt = -1;
            for (int t = 0; t < ids.length; t++) {
                double[] x = new double[h];
                double mean = 0;
                for (int j = 0; j < h; j++) {
                    x[j] = word[(int) ids[t] * h + j] + pos[(t % seq) * h + j] + type[(int) tt[t] * h + j];
                    mean += x[j] / h;
                }
                double var = 0;
                for (int j = 0; j < h; j++) {
                    var += (x[j] - mean) * (x[j] - mean) / h;
                }
                for (int j = 0; j < h; j++) {
                    double y = (x[j] - mean) / Math.sqrt(var + 1e-12) * gamma[j] + beta[j];
                    double e = expected[t * h + j];
                    double excess = Math.abs(y - e) - (1e-5 + 1e-5 * Math.abs(e));
                    if (excess > worst || worstAt < 0) {
                        worst = Math.max(worst, excess);
                        worstAt = t * h + j;
                    }
                }
            }
            assertTrue(worst <= 0, "hidden_states.0 differs beyond atol=rtol=1e-5 at flat index " + worstAt);
        }
    }

    @Test
    void zipDirectoryAgreesWithJavaUtilZip() throws IOException {
        Path bin = BERT_BIN.resolve("pytorch_model.bin");
        try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.READ);
                TorchZipArchive ours = TorchZipArchive.open(bin, ch);
                ZipFile theirs = new ZipFile(bin.toFile())) {
            List<String> names = new ArrayList<>();
            for (Enumeration<? extends ZipEntry> en = theirs.entries(); en.hasMoreElements(); ) {
                ZipEntry z = en.nextElement();
                names.add(z.getName());
                TorchZipArchive.Entry e = ours.entries().get(z.getName());
                assertEquals(z.getSize(), e.size(), z.getName());
                byte[] expected;
                try (InputStream is = theirs.getInputStream(z)) {
                    expected = is.readAllBytes();
                }
                ByteBuffer mapped = ours.map(e, 0, e.size());
                byte[] actual = new byte[mapped.remaining()];
                mapped.get(actual);
                assertArrayEquals(expected, actual, z.getName());
            }
            assertEquals(names, new ArrayList<>(ours.entries().keySet()));
        }
    }

    // ---------------------------------------------------------------- hand-built archives

    @Test
    void stridedViewsSharedStoragesAndDtypes(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("pytorch_model.bin");
        long[] s23 = {2, 3};
        List<Spec> specs = specs(
                new Spec("a", "FloatStorage", "0", 6, 0, s23, new long[] {3, 1}),
                // a.T: the same storage, non-contiguous
                new Spec("a_t", "FloatStorage", "0", 6, 0, new long[] {3, 2}, new long[] {1, 3}),
                // every other element from offset 1: [1, 3, 5]
                new Spec("odd", "FloatStorage", "0", 6, 1, new long[] {3}, new long[] {2}),
                // a broadcast (stride 0) row and a scalar
                new Spec("bcast", "FloatStorage", "0", 6, 4, new long[] {2, 2}, new long[] {0, 1}),
                new Spec("scalar", "FloatStorage", "0", 6, 5, new long[] {}, new long[] {}),
                Spec.contiguous("ids", "LongStorage", "1", 3),
                new Spec("empty", "FloatStorage", "0", 6, 0, new long[] {0, 4}, new long[] {4, 1}));
        writeCheckpoint(f, stateDictPickle(specs), Map.of("0", floats(0, 1, 2, 3, 4, 5), "1", longs(7, -8, 1L << 40)));
        try (PickleTensorSource s = PickleTensorSource.open(f); NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of("a", "a_t", "odd", "bcast", "scalar", "ids", "empty"), new ArrayList<>(s.keys()));
            assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, s.load("a", m, null).toFloatArray());
            NDArray at = s.load("a_t", m, null);
            assertArrayEquals(new long[] {3, 2}, at.getShape().getShape());
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, at.toFloatArray());
            assertArrayEquals(new float[] {1, 3, 5}, s.load("odd", m, null).toFloatArray());
            assertArrayEquals(new float[] {4, 5, 4, 5}, s.load("bcast", m, null).toFloatArray());
            NDArray scalar = s.load("scalar", m, null);
            assertEquals(0, scalar.getShape().dimension());
            assertArrayEquals(new float[] {5}, scalar.toFloatArray());
            assertArrayEquals(new long[] {7, -8, 1L << 40}, s.load("ids", m, DType.F16).toLongArray());
            assertArrayEquals(new long[] {0, 4}, s.load("empty", m, null).getShape().getShape());
            // Converted on load, like safetensors.
            NDArray half = s.load("a_t", m, DType.F16);
            assertEquals(DType.F16, DType.fromDjl(half.getDataType()));
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, half.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
        }
    }

    @Test
    void parametersOrderedDictMemoAndRebuildV3(@TempDir Path dir) throws IOException {
        // OrderedDict({"w": Parameter(tensor)}) with _metadata set through BUILD, the storage type memoized and
        // reused, and a _rebuild_tensor_v3 over an untyped storage naming its dtype.
        Pickle p = new Pickle().proto().global("collections", "OrderedDict").put(0).op(')').op('R').put(1).mark();
        p.str("w").global("torch._utils", "_rebuild_parameter").mark();
        p.global("torch._utils", "_rebuild_tensor_v2").mark();
        p.mark().str("storage").global("torch", "FloatStorage").put(2).str("0").str("cuda:0").integer(4).tuple()
                .op('Q');
        p.integer(0).ints(2, 2).ints(2, 1).op(0x89).get(0).op(')').op('R').tuple().op('R');
        p.op(0x88).get(0).op(')').op('R').tuple().op('R');
        p.str("v3").global("torch._utils", "_rebuild_tensor_v3").mark();
        p.mark().str("storage").global("torch", "UntypedStorage").str("1").str("cpu").integer(16).tuple().op('Q');
        p.integer(1).ints(1).ints(1).op(0x89).get(0).op(')').op('R').global("torch", "int64").tuple().op('R');
        p.op('u');
        // state = {"_metadata": OrderedDict({"": {"version": 1}})}
        p.op('}').str("_metadata").get(0).op(')').op('R').str("").op('}').str("version").integer(1).op('s')
                .op('s').op('s').op('b').op('.');
        Path f = dir.resolve("pytorch_model.bin");
        writeCheckpoint(f, p.bytes(), Map.of("0", floats(1, 2, 3, 4), "1", longs(10, 11)));
        try (PickleTensorSource s = PickleTensorSource.open(f); NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of("w", "v3"), new ArrayList<>(s.keys()));
            assertArrayEquals(new float[] {1, 2, 3, 4}, s.load("w", m, null).toFloatArray());
            assertEquals(DType.I64, s.info("v3").dtype());
            assertArrayEquals(new long[] {11}, s.load("v3", m, null).toLongArray());
        }
    }

    @Test
    void bigEndianArchivesAreSwapped(@TempDir Path dir) throws IOException {
        ByteBuffer be = ByteBuffer.allocate(12).order(ByteOrder.BIG_ENDIAN).putFloat(1.5f).putFloat(-2f).putFloat(3f);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        entries.put("data.pkl", stateDictPickle(specs(Spec.contiguous("x", "FloatStorage", "0", 3),
                new Spec("xt", "FloatStorage", "0", 3, 1, new long[] {2}, new long[] {1}))));
        entries.put("byteorder", "big".getBytes(StandardCharsets.US_ASCII));
        entries.put("data/0", be.array());
        entries.put("version", "3\n".getBytes(StandardCharsets.US_ASCII));
        Path f = dir.resolve("be.bin");
        writeArchive(f, entries);
        try (PickleTensorSource s = PickleTensorSource.open(f); NDManager m = NDManager.newBaseManager()) {
            assertArrayEquals(new float[] {1.5f, -2f, 3f}, s.load("x", m, null).toFloatArray());
            assertArrayEquals(new float[] {-2f, 3f}, s.load("xt", m, null).toFloatArray());
        }
    }

    // ---------------------------------------------------------------- refused and broken files

    @Test
    void foreignGlobalsAreRefusedNamingModuleNameAndFile(@TempDir Path dir) throws IOException {
        Path marker = dir.resolve("pwned");
        // {"x": os.system("touch <marker>")}
        Pickle osSystem = new Pickle().proto().op('}').str("x").global("os", "system").mark()
                .str("touch " + marker).tuple().op('R').op('s').op('.');
        // builtins.eval through STACK_GLOBAL (protocol 4 style)
        Pickle eval = new Pickle().proto();
        eval.str("builtins").str("eval").op(0x93).mark().str("1+1").tuple().op('R').op('.');
        // __builtin__.getattr (Python 2 name), inside an otherwise valid tensor pickle
        Pickle getattr = new Pickle().proto().op('}').str("x").global("__builtin__", "getattr").mark()
                .global("torch", "FloatStorage").str("__init__").tuple().op('R').op('s').op('.');
        // a torch global that is not a tensor-rebuilding one
        Pickle torchLoad = new Pickle().proto().global("torch", "load").op('.');
        Object[][] cases = {{osSystem, "os", "system"}, {eval, "builtins", "eval"},
            {getattr, "__builtin__", "getattr"}, {torchLoad, "torch", "load"}};
        for (Object[] c : cases) {
            Path f = dir.resolve("evil-" + c[2] + ".bin");
            writeCheckpoint(f, ((Pickle) c[0]).bytes(), Map.of());
            UnsafePickleException e = assertThrows(UnsafePickleException.class, () -> PickleTensorSource.open(f));
            assertEquals(c[1], e.module());
            assertEquals(c[2], e.name());
            assertTrue(e.getMessage().contains(c[1] + "." + c[2]) && e.getMessage().contains(f.toString()),
                    e.getMessage());
        }
        assertFalse(Files.exists(marker), "nothing in a pickle may run");
    }

    @Test
    void truncatedFilesFailNamingTheFile(@TempDir Path dir) throws IOException {
        byte[] good = Files.readAllBytes(BERT_BIN.resolve("pytorch_model.bin"));
        for (int len : new int[] {0, 3, 100, good.length / 2, good.length - 30, good.length - 1}) {
            Path f = dir.resolve("cut-" + len + ".bin");
            Files.write(f, Arrays.copyOf(good, len));
            IOException e = assertThrows(IOException.class, () -> PickleTensorSource.open(f), "length " + len);
            assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
            if (len > 4) {
                assertTrue(e.getMessage().contains("truncated"), e.getMessage());
            }
        }
        // A zip that is whole but whose pickle stops half-way.
        byte[] pickle = stateDictPickle(specs(Spec.contiguous("x", "FloatStorage", "0", 2)));
        for (int cut : new int[] {1, 20, pickle.length / 2, pickle.length - 1}) {
            Path f = dir.resolve("pkl-" + cut + ".bin");
            writeCheckpoint(f, Arrays.copyOf(pickle, cut), Map.of("0", floats(1, 2)));
            IOException e = assertThrows(IOException.class, () -> PickleTensorSource.open(f), "cut " + cut);
            assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    @Test
    void unknownOpcodeIsNamed(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("op.bin");
        writeCheckpoint(f, new Pickle().proto().op('}').op(0xff).op('.').bytes(), Map.of());
        IOException e = assertThrows(IOException.class, () -> PickleTensorSource.open(f));
        assertTrue(e.getMessage().contains("opcode 0xff") && e.getMessage().contains("byte 3")
                && e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void persistentIdWithoutItsStorageEntry(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("missing.bin");
        byte[] pickle = stateDictPickle(specs(Spec.contiguous("a", "FloatStorage", "0", 2),
                Spec.contiguous("b.weight", "FloatStorage", "7", 2)));
        writeCheckpoint(f, pickle, Map.of("0", floats(1, 2)));
        IOException e = assertThrows(IOException.class, () -> PickleTensorSource.open(f));
        assertTrue(e.getMessage().contains("'b.weight'") && e.getMessage().contains("archive/data/7")
                && e.getMessage().contains(f.toString()), e.getMessage());
    }

    @Test
    void otherBrokenArchives(@TempDir Path dir) throws IOException {
        // A view reaching past its storage.
        Path f = dir.resolve("past.bin");
        writeCheckpoint(f, stateDictPickle(specs(new Spec("w", "FloatStorage", "0", 4, 2, new long[] {2, 2},
                new long[] {2, 1}))), Map.of("0", floats(1, 2, 3, 4)));
        assertMessage(f, "'w'", "reaches past the end of its storage");
        // A storage entry shorter than its persistent id says.
        writeCheckpoint(f, stateDictPickle(specs(Spec.contiguous("w", "FloatStorage", "0", 4))),
                Map.of("0", floats(1, 2, 3)));
        assertMessage(f, "archive/data/0", "declares 16");
        // Not a state dict.
        writeCheckpoint(f, new Pickle().proto().op('}').str("epoch").integer(3).op('s').op('.').bytes(), Map.of());
        assertMessage(f, "'epoch'", "not a tensor");
        // Compressed entries are not what torch.save writes.
        try (ZipOutputStreamHelper z = new ZipOutputStreamHelper(f)) {
            z.deflated("archive/data.pkl", stateDictPickle(specs()));
            z.deflated("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
        assertMessage(f, "archive/data.pkl", "compressed");
        // No data.pkl.
        writeArchive(f, Map.of("version", "3\n".getBytes(StandardCharsets.US_ASCII)));
        assertMessage(f, "without <archive>/data.pkl");
        // Legacy (pre-1.6) torch.save: the magic number pickle first.
        byte[] legacy = new Pickle().proto().op(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19)
                .op('.').op(0x80, 2, 'K', 0xe9, '.').bytes();
        Files.write(f, legacy);
        assertMessage(f, "legacy format", "before PyTorch 1.6", "safetensors");
        // Not a checkpoint at all.
        Files.writeString(f, "{\"not\": \"a checkpoint\"}");
        assertMessage(f, "Not a PyTorch checkpoint");
    }

    /** Random damage to a real pickle never escapes as anything but an IOException (no crash, no hang). */
    @Test
    void damagedPicklesFailCleanly() throws IOException {
        byte[] good;
        try (ZipFile z = new ZipFile(BERT_BIN.resolve("pytorch_model.bin").toFile());
                InputStream is = z.getInputStream(z.getEntry("pytorch_model/data.pkl"))) {
            good = is.readAllBytes();
        }
        java.util.Random r = new java.util.Random(7);
        int parsed = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] bad = good.clone();
            for (int k = 1 + r.nextInt(4); k > 0; k--) {
                bad[r.nextInt(bad.length)] = (byte) r.nextInt(256);
            }
            if (r.nextInt(4) == 0) {
                bad = Arrays.copyOf(bad, r.nextInt(bad.length));
            }
            try {
                TorchPickle.load(ByteBuffer.wrap(bad), "fuzz-" + i);
                parsed++;
            } catch (IOException expected) {
                assertTrue(expected.getMessage().contains("fuzz-" + i), expected.getMessage());
            } catch (RuntimeException | StackOverflowError e) {
                throw new AssertionError("damage #" + i + " escaped as " + e, e);
            }
        }
        assertTrue(parsed < 3000, "some damage must be detected");
    }

    /** The same for damage to the zip structure (local headers and the central directory at the end). */
    @Test
    void damagedArchivesFailCleanly(@TempDir Path dir) throws IOException {
        byte[] good = Files.readAllBytes(BERT_BIN.resolve("pytorch_model.bin"));
        java.util.Random r = new java.util.Random(11);
        Path f = dir.resolve("damaged.bin");
        for (int i = 0; i < 300; i++) {
            byte[] bad = good.clone();
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                int at = r.nextBoolean() ? r.nextInt(120) : bad.length - 1 - r.nextInt(4000);
                bad[at] = (byte) r.nextInt(256);
            }
            Files.write(f, bad);
            try (NDManager m = NDManager.newBaseManager(); PickleTensorSource s = PickleTensorSource.open(f)) {
                for (String k : s.keys()) {
                    s.load(k, m, null);
                }
            } catch (IOException expected) {
                assertTrue(expected.getMessage().contains(f.toString()), expected.getMessage());
            } catch (RuntimeException | StackOverflowError e) {
                throw new AssertionError("damage #" + i + " escaped as " + e, e);
            }
        }
    }

    private static void assertMessage(Path f, String... parts) {
        IOException e = assertThrows(IOException.class, () -> PickleTensorSource.open(f));
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "expected '" + p + "' in: " + e.getMessage());
        }
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }

    static void assertClose(String what, double expected, double actual, double atol, double rtol) {
        if (!(Math.abs(actual - expected) <= atol + rtol * Math.abs(expected))) {
            fail(what + ": expected " + expected + ", got " + actual);
        }
    }

    /** DEFLATED entries, which torch.save never writes. */
    private static final class ZipOutputStreamHelper implements AutoCloseable {
        private final java.util.zip.ZipOutputStream zip;

        ZipOutputStreamHelper(Path f) throws IOException {
            zip = new java.util.zip.ZipOutputStream(Files.newOutputStream(f));
        }

        void deflated(String name, byte[] data) throws IOException {
            zip.putNextEntry(new ZipEntry(name));
            zip.write(data);
            zip.closeEntry();
        }

        @Override
        public void close() throws IOException {
            zip.close();
        }
    }
}
