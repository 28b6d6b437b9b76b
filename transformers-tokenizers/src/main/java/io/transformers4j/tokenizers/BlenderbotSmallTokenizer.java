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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Python's {@code BlenderbotSmallTokenizer} (models/blenderbot_small/tokenization_blenderbot_small.py): words are
 * {@code \S+\n?} runs; . , ! ? ( ) and ' are split off, a newline becomes {@code __newln__}, everything is lower
 * cased, then word-end BPE ({@link WordEndBpe}). No special tokens are added; decoding joins with spaces and removes
 * "@@ ".
 */
public class BlenderbotSmallTokenizer extends PreTrainedTokenizer {

    static final Map<String, String> DEFAULTS = Map.of("bos_token", "__start__", "eos_token", "__end__",
            "unk_token", "__unk__", "pad_token", "__null__");
    private static final Pattern WORDS = Pattern.compile("\\S+\\n?", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern PUNCT = Pattern.compile("([.,!?()])");
    private static final Pattern MULTI_SPACE = Pattern.compile("\\s{2,}", Pattern.UNICODE_CHARACTER_CLASS);

    protected final Map<String, Integer> encoder;
    protected final Map<Integer, String> decoder;
    private final WordEndBpe bpe;

    public BlenderbotSmallTokenizer(ObjectNode config, Path directory) throws IOException {
        super(config, directory);
        Path vocabFile = directory.resolve(config.path("vocab_file").asText("vocab.json"));
        Path mergesFile = directory.resolve(config.path("merges_file").asText("merges.txt"));
        for (Path p : List.of(vocabFile, mergesFile)) {
            if (!Files.isRegularFile(p)) {
                throw new NoSuchFileException(p.toString(), null, "Can't find " + p.getFileName() + " in " + directory);
            }
        }
        encoder = SlowConverters.readVocabJson(vocabFile);
        decoder = WordEndBpe.invert(encoder);
        bpe = new WordEndBpe(encoder, SlowConverters.readMerges(mergesFile, 1));
        modelInputNames = List.of("input_ids", "attention_mask");
        initTokens(DEFAULTS);
    }

    @Override
    protected Encoded encodeText(String text) {
        return slowEncode(text);
    }

    @Override
    public List<String> tokenize(String text) {
        return slowTokenize(text);
    }

    /** Python's {@code _tokenize} + the string part of {@code bpe}: the words handed to the BPE. */
    @Override
    protected List<String> tokenizeSegment(String text) {
        List<String> words = new ArrayList<>();
        Matcher m = WORDS.matcher(text);
        while (m.find()) {
            String token = PUNCT.matcher(m.group()).replaceAll(" $1");
            token = token.replace("'", " ' ");
            token = MULTI_SPACE.matcher(token).replaceAll(" ");
            if (token.contains("\n")) {
                token = token.replace("\n", " __newln__");
            }
            for (String t : token.split(" ", -1)) {
                if (!t.isEmpty()) {
                    words.add(t.toLowerCase(Locale.ROOT));
                }
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
        Integer id = encoder.get(token.toLowerCase(Locale.ROOT));
        return id != null ? id : encoder.getOrDefault(unkToken(), -1);
    }

    @Override
    protected String convertIdToTokenImpl(long id) {
        return decoder.getOrDefault((int) id, unkToken());
    }

    @Override
    public String convertTokensToString(List<String> tokens) {
        return pyStrip(String.join(" ", tokens).replace("@@ ", ""));
    }

    @Override
    protected List<Path> saveVocabulary(Path dir) throws IOException {
        Path v = dir.resolve("vocab.json");
        ObjectNode o = JSON.createObjectNode();
        new TreeMap<>(encoder).forEach(o::put);
        write(v, o);
        Path m = dir.resolve("merges.txt");
        StringBuilder sb = new StringBuilder("#version: 0.2\n");
        for (String[] p : bpe.merges) {
            sb.append(p[0]).append(' ').append(p[1]).append('\n');
        }
        Files.writeString(m, sb.toString(), StandardCharsets.UTF_8);
        return List.of(v, m);
    }

    @Override
    public void close() {
        bpe.close();
    }
}
