package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Python's {@code WhisperTokenizer} (models/whisper/tokenization_whisper.py): GPT-2's byte-level BPE ("Copied from"
 * GPT2Tokenizer in Python) plus the decoder prompt: {@code <|startoftranscript|> [<|lang|>] [<|task|>]
 * [<|notimestamps|>]} before the text and {@code <|endoftext|>} after it. Timestamp tokens ({@code <|0.00|>} ...)
 * follow the last special token; decoding can keep them ({@link #decodeWithTimestamps}) or turn them into segment
 * offsets ({@link #decodeWithOffsets}). {@link #normalize} applies OpenAI's English text normaliser with the
 * checkpoint's normalizer.json spelling mapping.
 */
public class WhisperTokenizer extends GPT2Tokenizer implements WhisperTokenization {

    /** LANGUAGES of tokenization_whisper.py, in order: the language tokens follow {@code <|startoftranscript|>}. */
    public static final Map<String, String> LANGUAGES = languages();
    /** TO_LANGUAGE_CODE: English name (and aliases) → code. */
    public static final Map<String, String> TO_LANGUAGE_CODE = toLanguageCode();
    public static final List<String> TASK_IDS = List.of("translate", "transcribe");

    private String language;
    private String task;
    private boolean predictTimestamps;
    private final Map<String, String> englishSpellingNormalizer;

    public WhisperTokenizer(ObjectNode config, Path directory) throws IOException {
        super(config, directory, DEFAULTS);
        JsonNode l = config.get("language");
        language = l == null || l.isNull() ? null : l.asText();
        JsonNode t = config.get("task");
        task = t == null || t.isNull() ? null : t.asText();
        predictTimestamps = config.path("predict_timestamps").asBoolean(false);
        englishSpellingNormalizer = WhisperCommon.readSpellingNormalizer(config, directory);
    }

    /** Like WhisperTokenizerFast's post-processor: the current prefix tokens and eos around the text. */
    @Override
    ObjectNode buildTokenizerJson() {
        ObjectNode json = super.buildTokenizerJson();
        if (eosToken() != null) {
            Map<String, Long> ids = new LinkedHashMap<>();
            List<String> prefix = new ArrayList<>();
            for (long id : prefixTokens()) {
                String t = convertIdsToTokens(id);
                prefix.add(t);
                ids.put(t, id);
            }
            ids.put(eosToken(), eosTokenId());
            json.set("post_processor", SlowConverters.templateProcessing(ids, prefix, List.of(),
                    List.of(eosToken()), false));
        }
        return json;
    }

    /** Python's {@code set_prefix_tokens}: null keeps the current value. */
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

    /** Python's {@code prefix_tokens}. */
    @Override
    public long[] prefixTokens() {
        return WhisperCommon.prefixTokens(this, language, task, predictTimestamps);
    }

    /** A language given as a code ("en"), an English name ("english") or an alias, as Python accepts it. */
    public static String languageCode(String language) {
        String l = language.toLowerCase(Locale.ROOT);
        if (TO_LANGUAGE_CODE.containsKey(l)) {
            return TO_LANGUAGE_CODE.get(l);
        }
        if (TO_LANGUAGE_CODE.containsValue(l)) {
            return l;
        }
        boolean isCode = l.length() == 2;
        throw new IllegalArgumentException("Unsupported language: " + l + ". Language should be one of: "
                + (isCode ? new ArrayList<>(TO_LANGUAGE_CODE.values()) : new ArrayList<>(TO_LANGUAGE_CODE.keySet()))
                + ".");
    }

    /** The id of each language token ({@code <|en|>} ...), for language detection: code → id. */
    @Override
    public Map<String, Long> languageTokenIds() {
        return WhisperCommon.languageTokenIds(this);
    }

    /** Python's {@code get_decoder_prompt_ids}: (position, token) pairs forced after {@code <|startoftranscript|>}. */
    @Override
    public List<long[]> getDecoderPromptIds(String task, String language, boolean noTimestamps) {
        setPrefixTokens(language, task, !noTimestamps);
        return WhisperCommon.decoderPromptIds(prefixTokens());
    }

    /** The first timestamp id: one past the last special token (Python's {@code all_special_ids[-1] + 1}). */
    @Override
    public long timestampBegin() {
        return WhisperCommon.timestampBegin(this);
    }

    @Override
    public long[] buildInputsWithSpecialTokens(long[] ids0, long[] ids1) {
        long[] eos = {eosTokenId()};
        return ids1 == null ? concat(prefixTokens(), ids0, eos) : concat(prefixTokens(), ids0, ids1, eos);
    }

    @Override
    public long[] getSpecialTokensMask(long[] ids0, long[] ids1) {
        int prefix = prefixTokens().length;
        long[] out = new long[prefix + ids0.length + (ids1 == null ? 0 : ids1.length) + 1];
        Arrays.fill(out, 0, prefix, 1);
        out[out.length - 1] = 1;
        return out;
    }

    /** Whisper decodes unknown ids as "" rather than the unk token. */
    @Override
    protected String convertIdToTokenImpl(long id) {
        String t = decoder.get((int) id);
        return t == null ? "" : t;
    }

    // ------------------------------------------------------------------------------------------------ decode

    /** Python's {@code decode}: timestamp tokens dropped from the text; no clean-up (Whisper's _decode has none). */
    @Override
    public String decode(long[] ids, boolean skipSpecialTokens, Boolean cleanUpTokenizationSpaces) {
        return decode(ids, skipSpecialTokens, cleanUpTokenizationSpaces, false, false, false);
    }

    /**
     * Python's {@code decode(ids, skip_special_tokens, clean_up_tokenization_spaces, normalize=...,
     * basic_normalize=..., remove_diacritics=...)}: with {@code normalize} the text goes through the English normaliser
     * ({@link #normalize}), else with {@code basicNormalize} through the multilingual one ({@link #basicNormalize}).
     */
    @Override
    public String decode(long[] ids, boolean skipSpecialTokens, Boolean cleanUpTokenizationSpaces, boolean normalize,
            boolean basicNormalize, boolean removeDiacritics) {
        long[] filtered = WhisperCommon.preprocessTokenIds(this, ids, skipSpecialTokens);
        String text = WhisperCommon.normalize(whisperDecode(filtered, skipSpecialTokens), normalize, basicNormalize,
                removeDiacritics, englishSpellingNormalizer);
        return WhisperCommon.filterTimestamps(text);
    }

    /** Python's {@code decode(..., decode_with_timestamps=True, time_precision)}: {@code <|1.08|>} marks kept. */
    @Override
    public String decodeWithTimestamps(long[] ids, boolean skipSpecialTokens, double timePrecision) {
        long[] filtered = WhisperCommon.preprocessTokenIds(this, ids, skipSpecialTokens);
        return WhisperCommon.decodeWithTimestamps(this, filtered, timePrecision,
                segment -> decode(segment, skipSpecialTokens, null));
    }

    /** Python's {@code "%.2f"}: the exact binary value, correctly rounded. */
    static String format2(double v) {
        return WhisperCommon.format2(v);
    }

    /** A timed segment of {@link #decodeWithOffsets}. */
    public record Offset(String text, double start, double end) {
    }

    /** Python's {@code decode(..., output_offsets=True)}: the text and its timestamped segments. */
    public record DecodedWithOffsets(String text, List<Offset> offsets) {
    }

    @Override
    public DecodedWithOffsets decodeWithOffsets(long[] ids, boolean skipSpecialTokens, double timePrecision) {
        return new DecodedWithOffsets(decode(ids, skipSpecialTokens, null), computeOffsets(ids, timePrecision));
    }

    /** Python's {@code _compute_offsets}. */
    @Override
    public List<Offset> computeOffsets(long[] ids, double timePrecision) {
        return WhisperCommon.computeOffsets(this, ids, timePrecision, sliced -> whisperDecode(sliced, false));
    }

    /** Python's Whisper {@code _decode}: added tokens kept apart from byte-level text, joined without spaces. */
    String whisperDecode(long[] ids, boolean skipSpecialTokens) {
        List<String> tokens = convertIdsToTokens(ids, skipSpecialTokens);
        StringBuilder sb = new StringBuilder();
        List<String> current = new ArrayList<>();
        for (String t : tokens) {
            if (addedTokensEncoder.containsKey(t)) {
                if (!current.isEmpty()) {
                    sb.append(convertTokensToString(current));
                    current = new ArrayList<>();
                }
                sb.append(t);
            } else {
                current.add(t);
            }
        }
        if (!current.isEmpty()) {
            sb.append(convertTokensToString(current));
        }
        return sb.toString();
    }

    /** Python's {@code get_prompt_ids}: {@code <|startofprev|>} + the prompt text, refusing special tokens in it. */
    @Override
    public long[] getPromptIds(String text) {
        return WhisperCommon.promptIds(this, text);
    }

    /**
     * Python's {@code normalize}: the English normaliser Whisper's WER is computed with
     * ({@link EnglishTextNormalizer}), spelling mapping from the checkpoint's normalizer.json. Fails (as Python
     * does) when that file was missing.
     */
    @Override
    public String normalize(String text) {
        return new EnglishTextNormalizer(englishSpellingNormalizer).apply(text);
    }

    /** Python's {@code english_spelling_normalizer} (normalizer.json), or null when the checkpoint has none. */
    @Override
    public Map<String, String> englishSpellingNormalizer() {
        return englishSpellingNormalizer == null ? null : Collections.unmodifiableMap(englishSpellingNormalizer);
    }

    /** Python's {@code basic_normalize}: the multilingual normaliser used before computing WER. */
    public static String basicNormalize(String text, boolean removeDiacritics) {
        return new BasicTextNormalizer(removeDiacritics, false).apply(text);
    }

    @Override
    protected List<Path> saveVocabulary(Path dir) throws IOException {
        List<Path> out = new ArrayList<>(super.saveVocabulary(dir));
        out.addAll(WhisperCommon.writeSpellingNormalizer(dir, englishSpellingNormalizer));
        return out;
    }

    @Override
    protected String defaultChatTemplate() {
        return "{% for message in messages %}{{ message.content }}{{ eos_token }}{% endfor %}";
    }

    private static Map<String, String> languages() {
        String[] pairs = ("en english,zh chinese,de german,es spanish,ru russian,ko korean,fr french,ja japanese,"
                + "pt portuguese,tr turkish,pl polish,ca catalan,nl dutch,ar arabic,sv swedish,it italian,"
                + "id indonesian,hi hindi,fi finnish,vi vietnamese,he hebrew,uk ukrainian,el greek,ms malay,"
                + "cs czech,ro romanian,da danish,hu hungarian,ta tamil,no norwegian,th thai,ur urdu,hr croatian,"
                + "bg bulgarian,lt lithuanian,la latin,mi maori,ml malayalam,cy welsh,sk slovak,te telugu,"
                + "fa persian,lv latvian,bn bengali,sr serbian,az azerbaijani,sl slovenian,kn kannada,et estonian,"
                + "mk macedonian,br breton,eu basque,is icelandic,hy armenian,ne nepali,mn mongolian,bs bosnian,"
                + "kk kazakh,sq albanian,sw swahili,gl galician,mr marathi,pa punjabi,si sinhala,km khmer,sn shona,"
                + "yo yoruba,so somali,af afrikaans,oc occitan,ka georgian,be belarusian,tg tajik,sd sindhi,"
                + "gu gujarati,am amharic,yi yiddish,lo lao,uz uzbek,fo faroese,ht haitian creole,ps pashto,"
                + "tk turkmen,nn nynorsk,mt maltese,sa sanskrit,lb luxembourgish,my myanmar,bo tibetan,tl tagalog,"
                + "mg malagasy,as assamese,tt tatar,haw hawaiian,ln lingala,ha hausa,ba bashkir,jw javanese,"
                + "su sundanese,yue cantonese").split(",");
        Map<String, String> m = new LinkedHashMap<>();
        for (String p : pairs) {
            int sp = p.indexOf(' ');
            m.put(p.substring(0, sp), p.substring(sp + 1));
        }
        return java.util.Collections.unmodifiableMap(m);
    }

    private static Map<String, String> toLanguageCode() {
        Map<String, String> m = new LinkedHashMap<>();
        LANGUAGES.forEach((code, name) -> m.put(name, code));
        String[] aliases = {"burmese my", "valencian ca", "flemish nl", "haitian ht", "letzeburgesch lb",
            "pushto ps", "panjabi pa", "moldavian ro", "moldovan ro", "sinhalese si", "castilian es", "mandarin zh"};
        for (String a : aliases) {
            String[] p = a.split(" ");
            m.put(p[0], p[1]);
        }
        return java.util.Collections.unmodifiableMap(m);
    }
}
