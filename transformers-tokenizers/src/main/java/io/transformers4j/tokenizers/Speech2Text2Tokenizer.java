package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Python's {@code Speech2Text2Tokenizer} (models/speech_to_text_2/tokenization_speech_to_text_2.py): fastBPE as in
 * fairseq. Text is split on whitespace (lower-cased when {@code do_lower_case}), each word goes through word-end BPE
 * ({@link WordEndBpe}); non-final pieces carry "@@". merges.txt has no header line. Without merges.txt the tokenizer
 * can only decode, as in Python.
 */
public class Speech2Text2Tokenizer extends PreTrainedTokenizer {

    static final Map<String, String> DEFAULTS = Map.of("bos_token", "<s>", "pad_token", "<pad>", "eos_token", "</s>",
            "unk_token", "<unk>");

    protected final Map<String, Integer> encoder;
    protected final Map<Integer, String> decoder;
    protected final boolean doLowerCase;
    private final WordEndBpe bpe;

    public Speech2Text2Tokenizer(ObjectNode config, Path directory) throws IOException {
        super(config, directory);
        Path vocabFile = directory.resolve(config.path("vocab_file").asText("vocab.json"));
        if (!Files.isRegularFile(vocabFile)) {
            throw new NoSuchFileException(vocabFile.toString(), null, "Can't find vocab.json in " + directory);
        }
        encoder = SlowConverters.readVocabJson(vocabFile);
        decoder = WordEndBpe.invert(encoder);
        doLowerCase = config.path("do_lower_case").asBoolean(false);
        Path mergesFile = directory.resolve(config.path("merges_file").asText("merges.txt"));
        if (Files.isRegularFile(mergesFile)) {
            bpe = new WordEndBpe(encoder, SlowConverters.readMerges(mergesFile, 0));
        } else {
            LOG.info("No merges files provided. {} can only be used for decoding.", getClass().getSimpleName());
            bpe = null;
        }
        modelInputNames = List.of("input_ids", "attention_mask");
        initTokens(DEFAULTS);
    }

    @Override
    protected boolean doLowerCase() {
        return doLowerCase;
    }

    @Override
    protected Encoded encodeText(String text) {
        return slowEncode(text);
    }

    @Override
    public List<String> tokenize(String text) {
        return slowTokenize(text);
    }

    @Override
    protected List<String> tokenizeSegment(String text) {
        if (bpe == null) {
            throw new IllegalStateException("This tokenizer was instantiated without a `merges.txt` file, so that"
                    + " it can only be used for decoding, not for encoding. Make sure to provide `merges.txt` file at"
                    + " instantiation to enable encoding.");
        }
        if (doLowerCase) {
            text = text.toLowerCase(Locale.ROOT);
        }
        List<String> words = new ArrayList<>();
        for (String w : text.split("[\\s\\u001c-\\u001f\\u0085]+")) {
            if (!w.isEmpty()) {
                words.add(w);
            }
        }
        return bpe.tokenize(words);
    }

    @Override
    public int vocabSize() {
        return encoder.size();
    }

    @Override
    protected Integer vocabLookup(String token) {
        return encoder.get(token);
    }

    @Override
    protected long convertTokenToIdImpl(String token) {
        Integer id = encoder.get(token);
        return id != null ? id : encoder.getOrDefault(unkToken(), -1);
    }

    @Override
    protected String convertIdToTokenImpl(long id) {
        return decoder.getOrDefault((int) id, unkToken());
    }

    /** Python: " ".join(tokens) with every "@@ " removed (no strip). */
    @Override
    public String convertTokensToString(List<String> tokens) {
        return String.join(" ", tokens).replace("@@ ", "");
    }

    @Override
    protected List<Path> saveVocabulary(Path dir) throws IOException {
        Path v = dir.resolve("vocab.json");
        ObjectNode o = JSON.createObjectNode();
        new TreeMap<>(encoder).forEach(o::put);
        write(v, o);
        if (bpe == null) {
            return List.of(v);
        }
        Path m = dir.resolve("merges.txt");
        StringBuilder sb = new StringBuilder();
        for (String[] p : bpe.merges) {
            sb.append(p[0]).append(' ').append(p[1]).append('\n');
        }
        Files.writeString(m, sb.toString(), StandardCharsets.UTF_8);
        return List.of(v, m);
    }

    @Override
    public void close() {
        if (bpe != null) {
            bpe.close();
        }
    }
}
