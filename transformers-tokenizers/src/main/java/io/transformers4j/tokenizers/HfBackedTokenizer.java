package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A tokenizer whose text → ids step runs in the Rust tokenizer (DJL's binding) from a tokenizer.json built from the
 * slow vocabulary files, added tokens included, so a batch is one native call. Subclasses say how to build the JSON
 * ({@link #buildTokenizerJson}) and may rewrite the text first ({@link #prepareForTokenization}).
 */
abstract class HfBackedTokenizer extends PreTrainedTokenizer {

    private volatile HfBackend backend;

    HfBackedTokenizer(ObjectNode config, Path directory) {
        super(config, directory);
    }

    /** The tokenizer.json this tokenizer runs on. */
    abstract ObjectNode buildTokenizerJson();

    HfBackend backend() {
        HfBackend b = backend;
        if (b == null) {
            synchronized (this) {
                b = backend;
                if (b == null) {
                    try {
                        b = HfBackend.fromJson(buildTokenizerJson());
                    } catch (IOException e) {
                        throw new UncheckedIOException("Cannot build the tokenizer of " + directory, e);
                    }
                    backend = b;
                }
            }
        }
        return b;
    }

    @Override
    protected synchronized void onAddedTokensChanged() {
        HfBackend old = backend;
        backend = null;
        if (old != null) {
            old.close();
        }
    }

    /** Characters added in front of the text by {@link #prepareForTokenization} (offsets are shifted back). */
    private int prefixLength(String original, String prepared) {
        return prepared.length() >= original.length() && prepared.endsWith(original)
                ? prepared.length() - original.length() : 0;
    }

    @Override
    protected Encoded encodeText(String text) {
        String prepared = prepareForTokenization(text);
        return shift(backend().encode(prepared), prefixLength(text, prepared));
    }

    @Override
    protected List<Encoded> encodeTexts(List<String> texts) {
        return encodeTexts(texts, true);
    }

    @Override
    protected List<Encoded> encodeTexts(List<String> texts, boolean withOffsets) {
        List<String> prepared = new ArrayList<>(texts.size());
        for (String t : texts) {
            prepared.add(prepareForTokenization(t));
        }
        List<Encoded> enc = backend().encodeBatch(prepared, withOffsets);
        List<Encoded> out = new ArrayList<>(enc.size());
        for (int i = 0; i < enc.size(); i++) {
            out.add(shift(enc.get(i), prefixLength(texts.get(i), prepared.get(i))));
        }
        return out;
    }

    private static Encoded shift(Encoded e, int by) {
        if (by == 0 || e.offsets() == null) {
            return e;
        }
        int[][] o = new int[e.offsets().length][];
        for (int i = 0; i < o.length; i++) {
            o[i] = new int[] {Math.max(0, e.offsets()[i][0] - by), Math.max(0, e.offsets()[i][1] - by)};
        }
        return new Encoded(e.ids(), e.tokens(), o);
    }

    @Override
    protected boolean supportsOffsets() {
        return true;
    }

    /** Writes the generated tokenizer.json (Python's fast tokenizers load it). */
    Path saveTokenizerJson(Path dir) throws IOException {
        return write(dir.resolve("tokenizer.json"), buildTokenizerJson());
    }

    @Override
    public void close() {
        onAddedTokensChanged();
    }
}
