package io.transformers4j.tokenizers;

import ai.djl.sentencepiece.SpProcessor;
import ai.djl.sentencepiece.SpTokenizer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What Python's T5Tokenizer and LlamaTokenizer share ("Copied from" in Python): a SentencePiece model run through
 * DJL's SentencePiece JNI, with the {@code legacy} switch. With {@code legacy=false} the model loses its dummy
 * prefix, a "▁" is put in front of the text ({@code add_prefix_space}) and text after an added token is encoded
 * behind the unk token, whose pieces are then dropped, so it gets no spurious prefix space.
 */
abstract class SentencePieceTokenizer extends PreTrainedTokenizer {

    static final String SPIECE_UNDERLINE = "\u2581";

    protected final SentencePieceModel model;
    protected final boolean legacy;
    protected final boolean addPrefixSpace;
    private final SpTokenizer sp;
    private final SpProcessor processor;
    private int unkTokenLength = -1;

    SentencePieceTokenizer(ObjectNode config, Path directory, String defaultFile) throws IOException {
        super(config, directory);
        Path file = directory.resolve(config.path("vocab_file").asText(defaultFile));
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "Can't find the SentencePiece model " + file);
        }
        model = SentencePieceModel.read(file);
        if (!config.has("legacy") || config.get("legacy").isNull()) {
            LOG.warn("You are using the default legacy behaviour of the {}. This is expected, and simply means that"
                    + " the `legacy` (previous) behavior will be used so nothing changes for you. If you want to use"
                    + " the new behaviour, set `legacy=False`.", getClass().getSimpleName());
            legacy = true;
        } else {
            legacy = config.get("legacy").asBoolean();
        }
        addPrefixSpace = config.path("add_prefix_space").asBoolean(true);
        // Non-legacy: Python reloads the model with add_dummy_prefix=False (decodePieces follows suit).
        sp = new SpTokenizer(legacy ? model.bytes : model.withoutDummyPrefix());
        processor = sp.getProcessor();
        modelInputNames = List.of("input_ids", "attention_mask");
    }

    // ------------------------------------------------------------------------------------------------ tokenize

    @Override
    protected Encoded encodeText(String text) {
        List<String> tokens = tokenizeSlow(text);
        return new Encoded(convertTokensToIds(tokens), tokens, null);
    }

    @Override
    public List<String> tokenize(String text) {
        return tokenizeSlow(text);
    }

    /** Python's T5Tokenizer.tokenize. */
    private List<String> tokenizeSlow(String text) {
        if (legacy || text.isEmpty()) {
            return slowTokenize(text);
        }
        text = text.replace(SPIECE_UNDERLINE, " ");
        if (addPrefixSpace) {
            text = SPIECE_UNDERLINE + text;
        }
        List<String> tokens = slowTokenize(text);
        if (tokens.size() > 1 && tokens.get(0).equals(SPIECE_UNDERLINE)
                && allSpecialTokens().contains(tokens.get(1))) {
            tokens = tokens.subList(1, tokens.size());
        }
        return tokens;
    }

    /** Python's T5Tokenizer._tokenize. */
    @Override
    protected List<String> tokenizeSegment(String text) {
        List<String> tokens = encodeAsPieces(text);
        if (legacy || !(text.startsWith(SPIECE_UNDERLINE) || text.startsWith(" "))) {
            return tokens;
        }
        tokens = encodeAsPieces(unkToken() + text);
        int n = unkTokenLength();
        return tokens.size() >= n ? tokens.subList(n, tokens.size()) : tokens;
    }

    private int unkTokenLength() {
        if (unkTokenLength < 0) {
            unkTokenLength = encodeAsPieces(String.valueOf(unkToken())).size();
        }
        return unkTokenLength;
    }

    /** {@code sp_model.encode(text, out_type=str)}. */
    List<String> encodeAsPieces(String text) {
        if (text.isEmpty()) {
            return List.of();
        }
        return Arrays.asList(processor.tokenize(text));
    }

    /**
     * {@code sp_model.decode(pieces)}, written in Java after SentencePiece's {@code Decode} (DJL's JNI returns
     * supplementary characters mangled): control pieces vanish, unknown pieces keep their text, runs of byte pieces
     * become UTF-8 (each invalid byte a U+FFFD), "▁" becomes a space, and the first "▁" of the text is dropped when
     * the model adds a dummy prefix or removes extra whitespace (every leading one in the latter case).
     */
    String decodePieces(List<String> pieces) {
        StringBuilder text = new StringBuilder();
        boolean isBosWs = true;
        boolean consumeAll = model.removeExtraWhitespaces;
        boolean consume = (legacy && model.addDummyPrefix) || model.removeExtraWhitespaces;
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (String piece : pieces) {
            Integer known = model.pieceToId.get(piece);
            int id = known != null ? known : model.unkId;
            int type = model.type(id);
            if (type == SentencePieceModel.BYTE) {
                bytes.write(Integer.parseInt(piece.substring(3, 5), 16));
                continue;
            }
            if (bytes.size() > 0) {
                String b = decodeBytes(bytes.toByteArray());
                bytes.reset();
                text.append(b);
                if (!b.isEmpty()) {
                    isBosWs = false;
                }
            }
            String decoded;
            boolean hadBosWs = false;
            if (type == SentencePieceModel.CONTROL) {
                decoded = "";
            } else if (type == SentencePieceModel.UNKNOWN) {
                decoded = piece.equals(model.pieces.get(id).piece()) ? " \u2047 " : piece;
            } else {
                String p = piece;
                if (isBosWs && consume && p.startsWith(SPIECE_UNDERLINE)) {
                    p = p.substring(1);
                    hadBosWs = !consumeAll;
                }
                decoded = p.replace(SPIECE_UNDERLINE, " ");
            }
            text.append(decoded);
            if (isBosWs && (!decoded.isEmpty() || hadBosWs)) {
                isBosWs = false;
            }
        }
        if (bytes.size() > 0) {
            text.append(decodeBytes(bytes.toByteArray()));
        }
        return text.toString();
    }

    /** UTF-8 with each byte of an invalid sequence replaced by U+FFFD, as SentencePiece does. */
    static String decodeBytes(byte[] b) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < b.length) {
            int c = b[i] & 0xFF;
            int len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
            boolean ok = len > 0 && i + len <= b.length;
            for (int k = 1; ok && k < len; k++) {
                ok = (b[i + k] & 0xC0) == 0x80;
            }
            if (ok && len > 1) {
                String s = new String(b, i, len, java.nio.charset.StandardCharsets.UTF_8);
                ok = !s.contains("\uFFFD");
                if (ok) {
                    sb.append(s);
                }
            } else if (ok) {
                sb.append((char) c);
            }
            if (ok) {
                i += len;
            } else {
                sb.append('\uFFFD');
                i++;
            }
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------------------ vocabulary

    @Override
    public int vocabSize() {
        return model.pieces.size();
    }

    @Override
    protected Integer vocabLookup(String token) {
        return model.pieceToId.get(token);
    }

    @Override
    protected long convertTokenToIdImpl(String token) {
        return processor.getId(token);
    }

    @Override
    protected String convertIdToTokenImpl(long id) {
        if (id < 0 || id >= model.pieces.size()) {
            throw new IllegalArgumentException("piece id " + id + " is out of range [0, " + model.pieces.size() + ")");
        }
        return model.pieces.get((int) id).piece();
    }

    @Override
    public Map<String, Integer> getVocab() {
        Map<String, Integer> v = new LinkedHashMap<>();
        for (int i = 0; i < vocabSize(); i++) {
            v.put(convertIdsToTokens(i), i);
        }
        v.putAll(addedTokensEncoder);
        return v;
    }

    @Override
    protected List<Path> saveVocabulary(Path dir) throws IOException {
        Path out = dir.resolve(model.file.getFileName().toString());
        if (!out.toAbsolutePath().normalize().equals(model.file.toAbsolutePath().normalize())) {
            // Python's shutil.copyfile: a new file with the umask's permissions, not the source's mode.
            try (InputStream in = Files.newInputStream(model.file)) {
                Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return List.of(out);
    }

    @Override
    public void close() {
        sp.close();
    }
}
