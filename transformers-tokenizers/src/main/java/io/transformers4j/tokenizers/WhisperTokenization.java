package io.transformers4j.tokenizers;

import io.transformers4j.tokenizers.WhisperTokenizer.DecodedWithOffsets;
import io.transformers4j.tokenizers.WhisperTokenizer.Offset;
import java.util.List;
import java.util.Map;

/**
 * The Whisper-specific methods of {@link WhisperTokenizer} (vocab.json + merges.txt) and
 * {@link WhisperTokenizerFast} (tokenizer.json), so code that gets either from {@link AutoTokenizer} can use them:
 * the decoder prompt ({@code prefix_tokens}, {@code get_decoder_prompt_ids}), timestamp-aware decoding, prompt ids
 * and the Whisper text normalisers.
 */
public interface WhisperTokenization {

    String language();

    String task();

    boolean predictTimestamps();

    /** Python's {@code set_prefix_tokens}: null keeps the current value. */
    void setPrefixTokens(String language, String task, Boolean predictTimestamps);

    /** Python's {@code prefix_tokens}: {@code <|startoftranscript|> [<|lang|>] [<|task|>] [<|notimestamps|>]}. */
    long[] prefixTokens();

    /** The id of each language token the vocabulary has ({@code <|en|>} ...): code → id. */
    Map<String, Long> languageTokenIds();

    /** Python's {@code get_decoder_prompt_ids}: sets the prefix, returns (position, token) pairs after the start. */
    List<long[]> getDecoderPromptIds(String task, String language, boolean noTimestamps);

    /** The first timestamp id (Python's {@code all_special_ids[-1] + 1}). */
    long timestampBegin();

    /**
     * Python's {@code decode(ids, skip_special_tokens, clean_up_tokenization_spaces, normalize, basic_normalize,
     * remove_diacritics)}; timestamp tokens are dropped from the text.
     */
    String decode(long[] ids, boolean skipSpecialTokens, Boolean cleanUpTokenizationSpaces, boolean normalize,
            boolean basicNormalize, boolean removeDiacritics);

    /** Python's {@code decode(..., decode_with_timestamps=True, time_precision)}: {@code <|1.08|>} marks kept. */
    String decodeWithTimestamps(long[] ids, boolean skipSpecialTokens, double timePrecision);

    /** Python's {@code decode(..., output_offsets=True)}: the text and its timestamped segments. */
    DecodedWithOffsets decodeWithOffsets(long[] ids, boolean skipSpecialTokens, double timePrecision);

    /** Python's {@code _compute_offsets}. */
    List<Offset> computeOffsets(long[] ids, double timePrecision);

    /** Python's {@code get_prompt_ids}. */
    long[] getPromptIds(String text);

    /** Python's {@code normalize}: {@link EnglishTextNormalizer} with the checkpoint's normalizer.json. */
    String normalize(String text);

    /** normalizer.json (Python's {@code english_spelling_normalizer}), or null when the checkpoint has none. */
    Map<String, String> englishSpellingNormalizer();
}
