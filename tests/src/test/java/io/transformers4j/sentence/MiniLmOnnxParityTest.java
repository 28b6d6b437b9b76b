package io.transformers4j.sentence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The default model end to end: all-MiniLM-L6-v2 imported from the langchain4j jar into a hub cache, loaded as a
 * sentence-transformers checkpoint, against ONNX Runtime running the original ONNX file. The reference follows
 * sentence-transformers by hand: each sentence alone (no padding), strip, tokenize (truncate at 256), the ONNX
 * graph's last_hidden_state, mean over the attention mask, L2 normalisation (in double).
 */
class MiniLmOnnxParityTest {

    /** Short, long (> 256 tokens), unicode, empty, padded with whitespace, code, numbers, mixed case. */
    static final List<String> SENTENCES = List.of(
            "A man is eating food.",
            "A man is eating a piece of bread.",
            "The girl is carrying a baby.",
            "A man is riding a horse.",
            "",
            "   leading and trailing whitespace\t\n",
            "Hi",
            "Der schnelle braune Fuchs springt über den faulen Hund.",
            "日本語の文章も処理できますか？東京は日本の首都です。",
            "Смешанный текст: Москва, naïve café, résumé, São Paulo 🚀🎉",
            "مرحبا بالعالم، هذه جملة باللغة العربية.",
            "def fibonacci(n): return n if n < 2 else fibonacci(n - 1) + fibonacci(n - 2)",
            "In 2023, revenue grew 17.5% to $4,210,000 (Q4: 1.2M units; ratio 3:1).",
            "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG",
            "Transformers changed natural language processing. " .repeat(40),
            "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
            "A sentence-embedding model maps text to a 384-dimensional vector whose cosine similarity reflects meaning.",
            "?!?!... --- ***",
            String.join(" ", java.util.Collections.nCopies(300, "token")),
            "Cats sleep most of the day, while dogs prefer to play outside in the garden with children.");

    static final double ATOL = 1e-4;

    @TempDir
    static Path cache;
    static Path snapshot;
    static SentenceTransformer st;
    static OrtEnvironment env;
    static OrtSession session;
    static HuggingFaceTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException, OrtException {
        snapshot = DefaultModel.install(cache);
        st = SentenceTransformer.fromPretrained(snapshot.toString());
        env = OrtEnvironment.getEnvironment();
        byte[] onnx;
        try (InputStream in = MiniLmOnnxParityTest.class.getResourceAsStream(DefaultModel.ONNX_RESOURCE)) {
            onnx = in.readAllBytes();
        }
        session = env.createSession(onnx, new OrtSession.SessionOptions());
        tokenizer = HuggingFaceTokenizer.newInstance(snapshot.resolve("tokenizer.json"),
                Map.of("truncation", "LONGEST_FIRST", "padding", "LONGEST", "maxLength", "256",
                        "modelMaxLength", "256"));
    }

    @AfterAll
    static void close() throws OrtException {
        if (tokenizer != null) {
            tokenizer.close();
        }
        if (session != null) {
            session.close();
        }
        if (st != null) {
            st.close();
        }
    }

    /** ORT on one unpadded sentence, pooled and normalised as sentence-transformers does. */
    static double[] reference(String sentence) throws OrtException {
        Encoding e = tokenizer.encode(sentence.strip());
        long[] ids = e.getIds();
        long[] mask = e.getAttentionMask();
        long[] types = e.getTypeIds();
        try (OnnxTensor i = OnnxTensor.createTensor(env, new long[][] {ids});
                OnnxTensor m = OnnxTensor.createTensor(env, new long[][] {mask});
                OnnxTensor t = OnnxTensor.createTensor(env, new long[][] {types});
                OrtSession.Result r = session.run(Map.of("input_ids", i, "attention_mask", m, "token_type_ids", t))) {
            float[][] hidden = ((float[][][]) r.get("last_hidden_state").get().getValue())[0];
            double[] pooled = new double[hidden[0].length];
            double count = 0;
            for (int tok = 0; tok < hidden.length; tok++) {
                count += mask[tok];
                for (int d = 0; d < pooled.length; d++) {
                    pooled[d] += hidden[tok][d] * mask[tok];
                }
            }
            double norm = 0;
            for (int d = 0; d < pooled.length; d++) {
                pooled[d] /= Math.max(count, 1e-9);
                norm += pooled[d] * pooled[d];
            }
            norm = Math.max(Math.sqrt(norm), 1e-12);
            for (int d = 0; d < pooled.length; d++) {
                pooled[d] /= norm;
            }
            return pooled;
        }
    }

    /** abs(a - e) <= atol for every element; the message names the worst one. */
    static void assertClose(double[][] expected, float[][] actual, String what) {
        assertEquals(expected.length, actual.length);
        double worst = -1;
        String where = "";
        for (int s = 0; s < expected.length; s++) {
            assertEquals(expected[s].length, actual[s].length, "dimension of sentence " + s);
            for (int d = 0; d < expected[s].length; d++) {
                double err = Math.abs(actual[s][d] - expected[s][d]);
                if (err > worst) {
                    worst = err;
                    where = "sentence " + s + " dim " + d + ": got " + actual[s][d] + ", ORT " + expected[s][d];
                }
            }
        }
        System.out.println(what + ": worst |ours - ORT| = " + worst + " (" + where + ")");
        assertTrue(worst <= ATOL, what + ": worst error " + worst + " > " + ATOL + " at " + where);
    }

    @Test
    void embeddingsMatchOnnxRuntime() throws OrtException {
        assertEquals(20, SENTENCES.size());
        double[][] expected = new double[SENTENCES.size()][];
        for (int s = 0; s < SENTENCES.size(); s++) {
            expected[s] = reference(SENTENCES.get(s));
        }
        // One length-sorted, padded batch of 20 mixed lengths (sentence-transformers' default batch of 32).
        assertClose(expected, st.encode(SENTENCES), "batch of 20");
        // Batches of 3: different padding per batch must not change anything.
        assertClose(expected, st.encode(SENTENCES, 3), "batches of 3");
        // One at a time.
        float[][] single = new float[SENTENCES.size()][];
        for (int s = 0; s < SENTENCES.size(); s++) {
            single[s] = st.encode(SENTENCES.get(s));
        }
        assertClose(expected, single, "one by one");
    }

    @Test
    void longInputsAreTruncatedAt256Tokens() {
        assertEquals(256, st.maxSeqLength());
        assertEquals(384, st.dimension());
        assertTrue(st.normalizes());
        // Two texts that agree on their first 254 word pieces embed identically once truncated.
        String base = String.join(" ", java.util.Collections.nCopies(300, "token"));
        float[][] e = st.encode(List.of(base, base + " and a different ending that is cut off"));
        for (int d = 0; d < e[0].length; d++) {
            assertEquals(e[0][d], e[1][d], 1e-6, "dim " + d);
        }
    }

    @Test
    void similarityRanksParaphrasesFirst() {
        float[][] e = st.encode(List.of("A man is eating food.", "A man is eating a piece of bread.",
                "A man is riding a horse.", "The new movie is awesome."));
        float[][] sim = SentenceTransformer.similarity(e, e);
        assertEquals(1f, sim[0][0], 1e-5f);
        assertTrue(sim[0][1] > sim[0][2] && sim[0][2] > sim[0][3],
                "similarities " + sim[0][1] + ", " + sim[0][2] + ", " + sim[0][3]);
        List<Float> norms = new ArrayList<>();
        for (float[] v : e) {
            double n = 0;
            for (float x : v) {
                n += x * x;
            }
            norms.add((float) Math.sqrt(n));
            assertEquals(1.0, Math.sqrt(n), 1e-5);
        }
    }

    @Test
    void loadsThroughTheHubCacheByRepoId() throws IOException {
        // From now on the repo id resolves offline through refs/main, like any cached hub model.
        io.transformers4j.modeling.LoadOptions offline = io.transformers4j.modeling.LoadOptions.defaults()
                .withHub(io.transformers4j.hub.HubOptions.defaults().withCacheDir(cache).withLocalFilesOnly(true));
        try (SentenceTransformer byId = SentenceTransformer.fromPretrained(DefaultModel.REPO_ID, offline)) {
            float[] a = byId.encode("A man is eating food.");
            float[] b = st.encode("A man is eating food.");
            for (int d = 0; d < a.length; d++) {
                assertEquals(b[d], a[d], 1e-6, "dim " + d);
            }
        }
    }
}
