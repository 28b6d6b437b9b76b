package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Python's {@code GPT2Tokenizer} (models/gpt2/tokenization_gpt2.py): byte-level BPE. Bytes are mapped to printable
 * characters, the GPT-2 regex pre-tokenizes, merges apply by rank. vocab.json + merges.txt are converted to a
 * tokenizer.json for the Rust BPE. {@code add_prefix_space} prepends a space to every text, as Python does
 * (unconditionally, unlike the Rust pre-tokenizer's option). No pad token: padding fails with Python's message.
 */
public class GPT2Tokenizer extends HfBackedTokenizer {

    static final Map<String, String> DEFAULTS = Map.of("unk_token", "<|endoftext|>", "bos_token", "<|endoftext|>",
            "eos_token", "<|endoftext|>");

    protected final Map<String, Integer> encoder;
    protected final Map<Integer, String> decoder = new HashMap<>();
    protected final List<String[]> merges;
    protected final boolean addPrefixSpace;
    protected final boolean addBosToken;
    private final char[] byteEncoder = SlowConverters.bytesToUnicode();
    private final Map<Character, Integer> byteDecoder = new HashMap<>();

    public GPT2Tokenizer(ObjectNode config, Path directory) throws IOException {
        this(config, directory, DEFAULTS);
    }

    protected GPT2Tokenizer(ObjectNode config, Path directory, Map<String, String> defaults) throws IOException {
        super(config, directory);
        Path vocabFile = directory.resolve(config.path("vocab_file").asText("vocab.json"));
        Path mergesFile = directory.resolve(config.path("merges_file").asText("merges.txt"));
        for (Path p : List.of(vocabFile, mergesFile)) {
            if (!Files.isRegularFile(p)) {
                throw new NoSuchFileException(p.toString(), null, "Can't find " + p.getFileName() + " in " + directory);
            }
        }
        encoder = SlowConverters.readVocabJson(vocabFile);
        encoder.forEach((t, i) -> decoder.put(i, t));
        merges = SlowConverters.readMerges(mergesFile, 1);
        addPrefixSpace = config.path("add_prefix_space").asBoolean(false);
        addBosToken = config.path("add_bos_token").asBoolean(false);
        modelInputNames = List.of("input_ids", "attention_mask");
        for (int b = 0; b < 256; b++) {
            byteDecoder.put(byteEncoder[b], b);
        }
        initTokens(defaults);
    }

    @Override
    ObjectNode buildTokenizerJson() {
        return SlowConverters.byteLevelBpe(encoder, merges, addedTokensDecoder.entrySet(), unkToken());
    }

    @Override
    protected String prepareForTokenization(String text) {
        return addPrefixSpace ? " " + text : text;
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
        if (id != null) {
            return id;
        }
        Integer unk = unkToken() == null ? null : encoder.get(unkToken());
        if (unk == null) {
            throw new IllegalArgumentException("Token '" + token + "' is not in the vocabulary and there is no unk_token");
        }
        return unk;
    }

    @Override
    protected String convertIdToTokenImpl(long id) {
        return decoder.get((int) id);
    }

    @Override
    public Map<String, Integer> getVocab() {
        Map<String, Integer> v = new LinkedHashMap<>(encoder);
        v.putAll(addedTokensEncoder);
        return v;
    }

    /** Byte-level tokens back to UTF-8 text, invalid bytes replaced (Python's {@code errors="replace"}). */
    @Override
    public String convertTokensToString(List<String> tokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (String t : tokens) {
            if (t == null) {
                continue;
            }
            for (int i = 0; i < t.length(); i++) {
                Integer b = byteDecoder.get(t.charAt(i));
                if (b != null) {
                    bytes.write(b);
                } else {
                    byte[] raw = String.valueOf(t.charAt(i)).getBytes(StandardCharsets.UTF_8);
                    bytes.write(raw, 0, raw.length);
                }
            }
        }
        return decodeUtf8Replace(bytes.toByteArray());
    }

    static String decodeUtf8Replace(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPLACE)
                    .onUnmappableCharacter(CodingErrorAction.REPLACE).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public long[] buildInputsWithSpecialTokens(long[] ids0, long[] ids1) {
        long[] bos = addBosToken ? new long[] {bosTokenId()} : new long[0];
        return ids1 == null ? concat(bos, ids0) : concat(bos, ids0, bos, ids1);
    }

    @Override
    public long[] getSpecialTokensMask(long[] ids0, long[] ids1) {
        if (!addBosToken) {
            return super.getSpecialTokensMask(ids0, ids1);
        }
        long[] out = new long[1 + ids0.length + (ids1 == null ? 0 : 1 + ids1.length)];
        out[0] = 1;
        if (ids1 != null) {
            out[1 + ids0.length] = 1;
        }
        return out;
    }

    @Override
    protected String defaultChatTemplate() {
        return "{% for message in messages %}{{ message.content }}{{ eos_token }}{% endfor %}";
    }

    @Override
    protected List<Path> saveVocabulary(Path dir) throws IOException {
        Path v = dir.resolve("vocab.json");
        ObjectNode o = JSON.createObjectNode();
        new TreeMap<>(encoder).forEach(o::put);
        write(v, o);
        Path m = dir.resolve("merges.txt");
        StringBuilder sb = new StringBuilder("#version: 0.2\n");
        for (String[] p : merges) {
            sb.append(p[0]).append(' ').append(p[1]).append('\n');
        }
        Files.writeString(m, sb.toString(), StandardCharsets.UTF_8);
        return List.of(v, m, saveTokenizerJson(dir));
    }
}
