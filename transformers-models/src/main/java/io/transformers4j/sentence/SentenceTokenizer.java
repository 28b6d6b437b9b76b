package io.transformers4j.sentence;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer of a sentence-transformers model: tokenizer.json through DJL's HF tokenizers binding, called the way
 * sentence-transformers calls its tokenizer ({@code padding=True, truncation="longest_first", max_length=...}).
 * Package-private so it can be replaced by the project's AutoTokenizer without touching the public API.
 */
final class SentenceTokenizer implements AutoCloseable {

    /** One padded batch: (B, T) ids, mask and token types, T = the longest sequence after truncation. */
    record Batch(long[][] inputIds, long[][] attentionMask, long[][] tokenTypeIds) {
        int size() {
            return inputIds.length;
        }

        int seqLen() {
            return inputIds.length == 0 ? 0 : inputIds[0].length;
        }
    }

    private final HuggingFaceTokenizer tokenizer;

    private SentenceTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Loads {@code tokenizer.json} from {@code folder}; sequences are truncated to {@code maxLength} tokens and a batch
     * is padded to its longest sequence, whatever truncation / padding the file itself records (Python's fast
     * tokenizer also overrides those on every call).
     */
    static SentenceTokenizer load(Path folder, int maxLength) throws IOException {
        Path json = folder.resolve("tokenizer.json");
        if (!Files.isRegularFile(json)) {
            throw new java.nio.file.NoSuchFileException(json.toString(), null,
                    "sentence-transformers model has no tokenizer.json (only fast tokenizers are supported)");
        }
        // DJL reports usage over the network unless told not to; loading from a Path must stay offline.
        if (System.getProperty("ai.djl.offline") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
        Map<String, String> options = Map.of(
                "addSpecialTokens", "true",
                "truncation", "LONGEST_FIRST",
                "padding", "LONGEST",
                "maxLength", Integer.toString(maxLength),
                "modelMaxLength", Integer.toString(maxLength));
        // Never the String overload: it resolves names on the hub and phones home.
        return new SentenceTokenizer(HuggingFaceTokenizer.newInstance(json, options));
    }

    Batch encode(List<String> texts) {
        Encoding[] enc = tokenizer.batchEncode(texts);
        int b = enc.length;
        long[][] ids = new long[b][];
        long[][] mask = new long[b][];
        long[][] types = new long[b][];
        for (int i = 0; i < b; i++) {
            ids[i] = enc[i].getIds();
            mask[i] = enc[i].getAttentionMask();
            types[i] = enc[i].getTypeIds();
            if (ids[i].length != ids[0].length) {
                throw new IllegalStateException("tokenizer returned an unpadded batch (lengths " + ids[0].length
                        + " and " + ids[i].length + ")");
            }
        }
        return new Batch(ids, mask, types);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
