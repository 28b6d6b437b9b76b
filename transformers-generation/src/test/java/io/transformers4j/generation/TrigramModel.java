package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.modeling.ModelInputs;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A decoder-only model small enough to reason about: the next-token logits at a position are
 * {@code a[token] + b[previous token]} (previous of the first token: row 0 of {@code b}), so a step over one new token
 * must read the previous token from the cache. The legacy cache has one layer whose key and value hold the tokens seen
 * so far as floats, (batch, 1, seq, 1): a wrong beam reorder shows up as wrong logits. Hidden states are
 * {@code e[token] + e[previous]} ((batch, new, hidden), twice: "embeddings" and "layer 1"); attentions, when asked for,
 * uniform weights of shape (batch, 1, new, seq). Everything is computed on the host.
 */
final class TrigramModel implements GenerationModel {
    final int vocab;
    final float[][] a;
    final float[][] b;
    final float[][] e;
    private GenerationConfig generationConfig;
    int forwardCalls;

    TrigramModel(float[][] a, float[][] b, float[][] e, GenerationConfig generationConfig) {
        this.vocab = a.length;
        this.a = a;
        this.b = b;
        this.e = e;
        this.generationConfig = generationConfig;
    }

    /** Logits from log-probabilities of a bigram table; {@code b} all zeros. */
    static TrigramModel bigram(double[][] probs, GenerationConfig config) {
        int v = probs.length;
        float[][] a = new float[v][v];
        for (int i = 0; i < v; i++) {
            for (int j = 0; j < v; j++) {
                a[i][j] = (float) Math.log(probs[i][j]);
            }
        }
        return new TrigramModel(a, new float[v][v], embeddings(v, 4, 1), config);
    }

    static TrigramModel random(int vocab, long seed, GenerationConfig config) {
        java.util.Random r = new java.util.Random(seed);
        float[][] a = new float[vocab][vocab];
        float[][] b = new float[vocab][vocab];
        for (int i = 0; i < vocab; i++) {
            for (int j = 0; j < vocab; j++) {
                a[i][j] = (float) (r.nextGaussian() * 2);
                b[i][j] = (float) (r.nextGaussian() * 2);
            }
        }
        return new TrigramModel(a, b, embeddings(vocab, 4, seed + 1), config);
    }

    static float[][] embeddings(int vocab, int hidden, long seed) {
        java.util.Random r = new java.util.Random(seed);
        float[][] e = new float[vocab][hidden];
        for (float[] row : e) {
            for (int j = 0; j < hidden; j++) {
                row[j] = (float) r.nextGaussian();
            }
        }
        return e;
    }

    @Override
    public GenerationConfig generationConfig() {
        return generationConfig;
    }

    @Override
    public void setGenerationConfig(GenerationConfig generationConfig) {
        this.generationConfig = generationConfig;
    }

    @Override
    public boolean isEncoderDecoder() {
        return false;
    }

    @Override
    public Integer maxPositionEmbeddings() {
        return null;
    }

    @Override
    public Set<String> modelKwargNames() {
        return Set.of("input_ids", "attention_mask", "past_key_values", "use_cache", "output_attentions",
                "output_hidden_states");
    }

    @Override
    public ModelInputs prepareInputsForGeneration(NDArray inputIds, ModelKwargs kwargs) {
        List<NDArray[]> past = PastKeyValues.legacy(kwargs.pastKeyValues(), "TrigramModel");
        if (past != null) {
            long pastLength = past.get(0)[0].getShape().get(2);
            long len = inputIds.getShape().get(1);
            inputIds = inputIds.get(new NDIndex(":, {}:", len > pastLength ? pastLength : len - 1));
        }
        return ModelInputs.builder().inputIds(inputIds).pastKeyValues(past).useCache(kwargs.useCache())
                .attentionMask(kwargs.attentionMask()).build();
    }

    @Override
    public GenerationStepOutput forwardForGeneration(ModelInputs inputs) {
        inputs.requireOnly("TrigramModel", modelKwargNames());
        forwardCalls++;
        NDArray ids = inputs.inputIds();
        NDManager m = ids.getManager();
        int batch = (int) ids.getShape().get(0);
        int news = (int) ids.getShape().get(1);
        long[] idFlat = ids.toType(DataType.INT64, false).toLongArray();
        List<NDArray[]> past = inputs.pastKeyValues();
        int pastLen = past == null ? 0 : (int) past.get(0)[0].getShape().get(2);
        float[] pastFlat = past == null ? new float[0] : past.get(0)[0].toFloatArray();
        int total = pastLen + news;
        float[] history = new float[batch * total];
        for (int r = 0; r < batch; r++) {
            for (int t = 0; t < pastLen; t++) {
                history[r * total + t] = pastFlat[r * pastLen + t];
            }
            for (int t = 0; t < news; t++) {
                history[r * total + pastLen + t] = idFlat[r * news + t];
            }
        }
        int hidden = e[0].length;
        float[] logits = new float[batch * news * vocab];
        float[] hid = new float[batch * news * hidden];
        for (int r = 0; r < batch; r++) {
            for (int t = 0; t < news; t++) {
                int pos = pastLen + t;
                int tok = (int) history[r * total + pos];
                int prev = pos == 0 ? 0 : (int) history[r * total + pos - 1];
                for (int j = 0; j < vocab; j++) {
                    logits[(r * news + t) * vocab + j] = a[tok][j] + b[prev][j];
                }
                for (int j = 0; j < hidden; j++) {
                    hid[(r * news + t) * hidden + j] = e[tok][j] + e[prev][j];
                }
            }
        }
        NDArray logitsT = m.create(logits, new Shape(batch, news, vocab));
        Object cache = null;
        if (inputs.flag("use_cache", true)) {
            NDArray k = m.create(history, new Shape(batch, 1, total, 1));
            cache = List.<NDArray[]>of(new NDArray[] {k, k.duplicate()});
        }
        List<NDArray> hiddenStates = null;
        if (inputs.flag("output_hidden_states", false)) {
            hiddenStates = new ArrayList<>();
            hiddenStates.add(m.create(hid, new Shape(batch, news, hidden)));
            hiddenStates.add(m.create(hid, new Shape(batch, news, hidden)));
        }
        List<NDArray> attentions = null;
        if (inputs.flag("output_attentions", false)) {
            attentions = List.of(m.full(new Shape(batch, 1, news, total), 1f / total));
        }
        return new GenerationStepOutput(logitsT, cache, hiddenStates, attentions, null);
    }
}
