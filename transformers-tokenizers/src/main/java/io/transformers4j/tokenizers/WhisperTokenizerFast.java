package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.tokenizers.WhisperTokenizer.DecodedWithOffsets;
import io.transformers4j.tokenizers.WhisperTokenizer.Offset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code WhisperTokenizerFast} (models/whisper/tokenization_whisper_fast.py): a Whisper checkpoint's own
 * tokenizer.json run by the Rust tokenizer, with WhisperTokenizer's decoder prompt, timestamp and normaliser methods.
 * What AutoTokenizer returns for a Whisper checkpoint that ships tokenizer.json but not vocab.json + merges.txt.
 *
 * <p>As in Python 4.39, the special tokens around encoded text come from tokenizer.json's post-processor until
 * {@link #setPrefixTokens} (or {@link #getDecoderPromptIds}) rebuilds it from the current prefix: passing
 * {@code language} / {@code task} at load time alone does not change how text is encoded. Decoding differs from the
 * slow class the same way Python's does: the Rust decoder, then {@code clean_up_tokenization_spaces} when set.
 */
public class WhisperTokenizerFast extends PreTrainedTokenizerFast implements WhisperTokenization {

    private String language;
    private String task;
    private boolean predictTimestamps;
    private final Map<String, String> englishSpellingNormalizer;

    public WhisperTokenizerFast(ObjectNode config, Path directory) throws IOException {
        super(config, directory, GPT2Tokenizer.DEFAULTS, List.of("input_ids", "attention_mask"));
        JsonNode l = config.get("language");
        language = l == null || l.isNull() ? null : l.asText();
        JsonNode t = config.get("task");
        task = t == null || t.isNull() ? null : t.asText();
        predictTimestamps = config.path("predict_timestamps").asBoolean(false);
        englishSpellingNormalizer = WhisperCommon.readSpellingNormalizer(config, directory);
    }

    /** Python's __init__: a top-level pre-tokenizer's add_prefix_space is set to the tokenizer's own setting. */
    @Override
    protected boolean adjustBackend(ObjectNode json) {
        boolean addPrefixSpace = config.path("add_prefix_space").asBoolean(false);
        JsonNode pre = json.get("pre_tokenizer");
        if (pre instanceof ObjectNode p && p.has("add_prefix_space")
                && p.get("add_prefix_space").asBoolean() != addPrefixSpace) {
            p.put("add_prefix_space", addPrefixSpace);
            return true;
        }
        return false;
    }

    /**
     * Python's {@code set_prefix_tokens}: null keeps the current value; the post-processor becomes
     * {@code prefix:0 $A:0 eos:0} (pair: {@code prefix:0 $A:0 $B:1 eos:1}).
     */
    @Override
    public void setPrefixTokens(String language, String task, Boolean predictTimestamps) {
        if (language != null) {
            this.language = language;
        }
        if (task != null) {
            this.task = task;
        }
        if (predictTimestamps != null) {
            this.predictTimestamps = predictTimestamps;
        }
        long[] prefixIds = prefixTokens();
        Map<String, Long> ids = new LinkedHashMap<>();
        ids.put(eosToken(), eosTokenId());
        List<String> prefixes = new ArrayList<>();
        for (long id : prefixIds) {
            String tok = convertIdsToTokens(id);
            prefixes.add(tok);
            ids.put(tok, id);
        }
        setPostProcessor(SlowConverters.templateProcessing(ids, prefixes, List.of(), List.of(eosToken()), false));
    }

    @Override
    public String language() {
        return language;
    }

    @Override
    public String task() {
        return task;
    }

    @Override
    public boolean predictTimestamps() {
        return predictTimestamps;
    }

    @Override
    public long[] prefixTokens() {
        return WhisperCommon.prefixTokens(this, language, task, predictTimestamps);
    }

    @Override
    public Map<String, Long> languageTokenIds() {
        return WhisperCommon.languageTokenIds(this);
    }

    @Override
    public List<long[]> getDecoderPromptIds(String task, String language, boolean noTimestamps) {
        setPrefixTokens(language, task, !noTimestamps);
        return WhisperCommon.decoderPromptIds(prefixTokens());
    }

    @Override
    public long timestampBegin() {
        return WhisperCommon.timestampBegin(this);
    }

    // ------------------------------------------------------------------------------------------------ decode

    /** Python's {@code decode}: the Rust decoder and clean-up, timestamp tokens dropped from the text. */
    @Override
    public String decode(long[] ids, boolean skipSpecialTokens, Boolean cleanUpTokenizationSpaces) {
        return decode(ids, skipSpecialTokens, cleanUpTokenizationSpaces, false, false, false);
    }

    @Override
    public String decode(long[] ids, boolean skipSpecialTokens, Boolean cleanUpTokenizationSpaces, boolean normalize,
            boolean basicNormalize, boolean removeDiacritics) {
        long[] filtered = WhisperCommon.preprocessTokenIds(this, ids, skipSpecialTokens);
        String text = decodeImpl(filtered, skipSpecialTokens,
                cleanUpTokenizationSpaces != null ? cleanUpTokenizationSpaces : cleanUpTokenizationSpaces(), true);
        text = WhisperCommon.normalize(text, normalize, basicNormalize, removeDiacritics, englishSpellingNormalizer);
        return WhisperCommon.filterTimestamps(text);
    }

    @Override
    public String decodeWithTimestamps(long[] ids, boolean skipSpecialTokens, double timePrecision) {
        long[] filtered = WhisperCommon.preprocessTokenIds(this, ids, skipSpecialTokens);
        return WhisperCommon.decodeWithTimestamps(this, filtered, timePrecision,
                segment -> decode(segment, skipSpecialTokens, null));
    }

    @Override
    public DecodedWithOffsets decodeWithOffsets(long[] ids, boolean skipSpecialTokens, double timePrecision) {
        return new DecodedWithOffsets(decode(ids, skipSpecialTokens, null), computeOffsets(ids, timePrecision));
    }

    /** Python's {@code _compute_offsets}: each segment through the fast {@code _decode} (clean-up included). */
    @Override
    public List<Offset> computeOffsets(long[] ids, double timePrecision) {
        return WhisperCommon.computeOffsets(this, ids, timePrecision,
                sliced -> decodeImpl(sliced, false, cleanUpTokenizationSpaces(), true));
    }

    @Override
    public long[] getPromptIds(String text) {
        return WhisperCommon.promptIds(this, text);
    }

    @Override
    public String normalize(String text) {
        return new EnglishTextNormalizer(englishSpellingNormalizer).apply(text);
    }

    @Override
    public Map<String, String> englishSpellingNormalizer() {
        return englishSpellingNormalizer == null ? null : Collections.unmodifiableMap(englishSpellingNormalizer);
    }

    @Override
    protected String defaultChatTemplate() {
        return "{% for message in messages %}{{ message.content }}{{ eos_token }}{% endfor %}";
    }

    @Override
    protected List<Path> saveVocabulary(Path dir) throws IOException {
        List<Path> out = new ArrayList<>(super.saveVocabulary(dir));
        out.addAll(WhisperCommon.writeSpellingNormalizer(dir, englishSpellingNormalizer));
        return out;
    }

    /** Python saves "WhisperTokenizer" (the class name without "Fast"). */
    @Override
    public String tokenizerClass() {
        return "WhisperTokenizer";
    }
}
