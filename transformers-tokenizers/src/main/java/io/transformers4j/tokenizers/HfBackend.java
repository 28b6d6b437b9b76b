package io.transformers4j.tokenizers;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.huggingface.tokenizers.jni.TokenizersLibrary;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * The Rust tokenizer behind DJL's binding, always loaded from a file Path ({@code newInstance(String)} phones home).
 * Used without padding, truncation or special tokens: the Java layer applies Python's semantics for those.
 */
final class HfBackend implements AutoCloseable {

    static {
        // DJL's loader calls home (EC2 metadata + telemetry) unless told not to; a tokenizer library must not.
        if (System.getenv("OPT_OUT_TRACKING") == null && System.getProperty("OPT_OUT_TRACKING") == null) {
            System.setProperty("OPT_OUT_TRACKING", "true");
        }
    }

    private static final Map<String, String> OPTIONS = Map.of("addSpecialTokens", "false", "padding", "false",
            "truncation", "false", "withOverflowingTokens", "false");

    private final HuggingFaceTokenizer tokenizer;
    final Path file;

    private HfBackend(HuggingFaceTokenizer tokenizer, Path file) {
        this.tokenizer = tokenizer;
        this.file = file;
    }

    static HfBackend load(Path tokenizerJson) throws IOException {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IOException("No tokenizer file at " + tokenizerJson);
        }
        try {
            return new HfBackend(HuggingFaceTokenizer.newInstance(tokenizerJson, OPTIONS), tokenizerJson);
        } catch (RuntimeException e) {
            throw new IOException("Cannot load " + tokenizerJson + " with the Hugging Face tokenizers library: "
                    + e.getMessage(), e);
        }
    }

    /** DJL cannot build from an in-memory JSON without the same call-home path: write a temp file and load it. */
    static HfBackend fromJson(JsonNode json) throws IOException {
        Path tmp = Files.createTempFile("transformers4j-tokenizer", ".json");
        try {
            Files.writeString(tmp, PreTrainedTokenizer.JSON.writeValueAsString(json), StandardCharsets.UTF_8);
            return load(tmp);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    PreTrainedTokenizer.Encoded encode(String text) {
        return convert(tokenizer.encode(text, false, false));
    }

    /**
     * One native call for the batch, then only what the encode needs: the ids (and the offsets when asked for).
     * DJL's own batchEncode also copies tokens, type ids, word ids, masks and spans of every row into Java; skipping
     * those is most of this layer's saving over it. Tokens are null here ({@link #encode} has them).
     */
    List<PreTrainedTokenizer.Encoded> encodeBatch(List<String> texts, boolean withOffsets) {
        String[] inputs = texts.toArray(new String[0]);
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i] == null) {
                throw new IllegalArgumentException("Input text[" + i + "] is null");
            }
        }
        TokenizersLibrary lib = TokenizersLibrary.LIB;
        long[] handles = lib.batchEncode(tokenizer.getHandle(), inputs, false);
        List<PreTrainedTokenizer.Encoded> out = new ArrayList<>(handles.length);
        try {
            for (long h : handles) {
                long[] ids = lib.getTokenIds(h);
                out.add(new PreTrainedTokenizer.Encoded(ids, null, withOffsets ? offsets(lib.getTokenCharSpans(h))
                        : null));
            }
        } finally {
            for (long h : handles) {
                lib.deleteEncoding(h);
            }
        }
        return out;
    }

    /** Each string is one pre-tokenized word; offsets come back relative to each word. */
    Encoding encodeWords(String[] words) {
        return tokenizer.encode(words, false, false);
    }

    /** The Rust decoder (for tokenizer.json checkpoints), without DJL's Java-side clean-up. */
    String decode(long[] ids, boolean skipSpecialTokens) {
        return TokenizersLibrary.LIB.decode(tokenizer.getHandle(), ids, skipSpecialTokens);
    }

    static PreTrainedTokenizer.Encoded convert(Encoding e) {
        return new PreTrainedTokenizer.Encoded(e.getIds(), Arrays.asList(e.getTokens()),
                offsets(e.getCharTokenSpans()));
    }

    /** Character spans as (start, end) pairs; tokens without a span (added specials) get (0, 0). */
    private static int[][] offsets(CharSpan[] spans) {
        int[][] offsets = new int[spans.length][];
        for (int i = 0; i < spans.length; i++) {
            offsets[i] = spans[i] == null ? new int[] {0, 0} : new int[] {spans[i].getStart(), spans[i].getEnd()};
        }
        return offsets;
    }

    HuggingFaceTokenizer raw() {
        return tokenizer;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
