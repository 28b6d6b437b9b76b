package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Python's {@code BertTokenizer} (models/bert/tokenization_bert.py): BasicTokenizer (clean text, CJK characters
 * spaced, NFC, lower case and accent stripping per {@code do_lower_case} / {@code strip_accents}, punctuation split)
 * then greedy longest-match WordPiece with "##" continuations. vocab.txt is converted to a tokenizer.json that
 * reproduces the slow tokenizer. {@code [CLS] A [SEP] (B [SEP])} with token_type_ids 0 for A, 1 for B. With
 * {@code never_split} the text takes Python's slow path in Java instead ({@link BasicTokenizer}). Also used for Nezha,
 * whose tokenizer is BERT's.
 */
public class BertTokenizer extends HfBackedTokenizer {

    static final Map<String, String> DEFAULTS = Map.of("unk_token", "[UNK]", "sep_token", "[SEP]", "pad_token",
            "[PAD]", "cls_token", "[CLS]", "mask_token", "[MASK]");

    protected final Map<String, Integer> vocab;
    protected final Map<Integer, String> idsToTokens = new HashMap<>();
    protected final boolean doLowerCase;
    protected final boolean doBasicTokenize;
    protected final boolean tokenizeChineseChars;
    protected final Boolean stripAccents;
    /** Python's BasicTokenizer {@code never_split} (tokenizer_config.json). */
    protected final Set<String> neverSplit = new LinkedHashSet<>();

    public BertTokenizer(ObjectNode config, Path directory) throws IOException {
        super(config, directory);
        Path vocabFile = directory.resolve(config.path("vocab_file").asText("vocab.txt"));
        if (!Files.isRegularFile(vocabFile)) {
            throw new NoSuchFileException(vocabFile.toString(), null,
                    "Can't find a vocabulary file at path '" + vocabFile + "'");
        }
        vocab = SlowConverters.readVocabTxt(vocabFile);
        vocab.forEach((t, i) -> idsToTokens.put(i, t));
        doLowerCase = config.path("do_lower_case").asBoolean(true);
        doBasicTokenize = config.path("do_basic_tokenize").asBoolean(true);
        tokenizeChineseChars = config.path("tokenize_chinese_chars").asBoolean(true);
        JsonNode sa = config.get("strip_accents");
        stripAccents = sa == null || sa.isNull() ? null : sa.asBoolean();
        JsonNode ns = config.get("never_split");
        if (ns != null && ns.isArray()) {
            ns.forEach(n -> neverSplit.add(n.asText()));
        }
        initTokens(DEFAULTS);
    }

    @Override
    ObjectNode buildTokenizerJson() {
        // Python's converter leaves never_split out of tokenizer.json; the Java path below applies it.
        Map<Integer, AddedToken> added = new TreeMap<>(addedTokensDecoder);
        boolean strip = stripAccents != null ? stripAccents : doLowerCase;
        ObjectNode json = SlowConverters.wordPiece(vocab, added.entrySet(), unkToken(), doBasicTokenize, doLowerCase,
                strip, tokenizeChineseChars);
        if (clsToken() != null && sepToken() != null) {
            // Used only when Python loads the saved file: the Java layer adds special tokens itself.
            json.set("post_processor", SlowConverters.templateProcessing(
                    Map.of(clsToken(), clsTokenId(), sepToken(), sepTokenId()), List.of(clsToken()),
                    List.of(sepToken()), List.of(sepToken()), false));
        }
        return json;
    }

    /** Python's {@code do_lower_case} property reads the basic tokenizer, which only exists with do_basic_tokenize. */
    @Override
    protected boolean doLowerCase() {
        return doBasicTokenize && doLowerCase;
    }

    // ------------------------------------------------------------------------------------------------ never_split

    /**
     * With never_split, encoding follows Python's slow path in Java ({@link BasicTokenizer} + {@link
     * WordpieceTokenizer}): a token that never_split names is kept whole, unsplit and un-lower-cased, and is not
     * WordPiece'd (so it is [UNK] when the vocabulary lacks it); the Rust pipeline has no such rule.
     */
    private boolean neverSplitPath() {
        return doBasicTokenize && !neverSplit.isEmpty();
    }

    @Override
    protected Encoded encodeText(String text) {
        return neverSplitPath() ? slowEncode(text) : super.encodeText(text);
    }

    @Override
    protected List<Encoded> encodeTexts(List<String> texts, boolean withOffsets) {
        if (!neverSplitPath()) {
            return super.encodeTexts(texts, withOffsets);
        }
        List<Encoded> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(slowEncode(t));
        }
        return out;
    }

    /** Python's slow tokenizers have no offsets; the never_split path is Python's slow one. */
    @Override
    protected boolean supportsOffsets() {
        return !neverSplitPath();
    }

    /** Python's {@code _tokenize}: the basic tokenizer (special tokens also unsplit), then WordPiece. */
    @Override
    protected List<String> tokenizeSegment(String text) {
        BasicTokenizer basic = new BasicTokenizer(doLowerCase, tokenizeChineseChars, stripAccents);
        WordpieceTokenizer wordpiece = new WordpieceTokenizer(vocab, unkToken(), 100);
        Set<String> basicNeverSplit = new HashSet<>(neverSplit);
        if (!splitSpecialTokens) {
            basicNeverSplit.addAll(allSpecialTokens());
        }
        List<String> out = new ArrayList<>();
        for (String token : basic.tokenize(text, basicNeverSplit)) {
            if (neverSplit.contains(token)) {
                out.add(token);
            } else {
                out.addAll(wordpiece.tokenize(token));
            }
        }
        return out;
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    protected Integer vocabLookup(String token) {
        return vocab.get(token);
    }

    @Override
    protected long convertTokenToIdImpl(String token) {
        Integer id = vocab.get(token);
        return id != null ? id : vocab.getOrDefault(unkToken(), -1);
    }

    @Override
    protected String convertIdToTokenImpl(long id) {
        return idsToTokens.getOrDefault((int) id, unkToken());
    }

    @Override
    public Map<String, Integer> getVocab() {
        Map<String, Integer> v = new LinkedHashMap<>(vocab);
        v.putAll(addedTokensEncoder);
        return v;
    }

    @Override
    public String convertTokensToString(List<String> tokens) {
        return pyStrip(String.join(" ", tokens).replace(" ##", ""));
    }

    @Override
    public long[] buildInputsWithSpecialTokens(long[] ids0, long[] ids1) {
        long[] cls = {clsTokenId()};
        long[] sep = {sepTokenId()};
        return ids1 == null ? concat(cls, ids0, sep) : concat(cls, ids0, sep, ids1, sep);
    }

    @Override
    public long[] createTokenTypeIdsFromSequences(long[] ids0, long[] ids1) {
        int a = ids0.length + 2;
        long[] out = new long[a + (ids1 == null ? 0 : ids1.length + 1)];
        java.util.Arrays.fill(out, a, out.length, 1);
        return out;
    }

    @Override
    public long[] getSpecialTokensMask(long[] ids0, long[] ids1) {
        long[] out = new long[ids0.length + 2 + (ids1 == null ? 0 : ids1.length + 1)];
        out[0] = 1;
        out[ids0.length + 1] = 1;
        if (ids1 != null) {
            out[out.length - 1] = 1;
        }
        return out;
    }

    @Override
    protected List<Path> saveVocabulary(Path dir) throws IOException {
        Path out = dir.resolve("vocab.txt");
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(idsToTokens).forEach((i, t) -> sb.append(t).append('\n'));
        Files.writeString(out, sb.toString(), StandardCharsets.UTF_8);
        return List.of(out, saveTokenizerJson(dir));
    }
}
