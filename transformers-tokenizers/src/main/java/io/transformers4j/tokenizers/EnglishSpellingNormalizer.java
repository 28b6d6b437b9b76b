package io.transformers4j.tokenizers;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Python's {@code EnglishSpellingNormalizer}: British → American spellings ("colour" → "color") word by word, from
 * the mapping a Whisper checkpoint ships as normalizer.json. Words are split on whitespace and re-joined with single
 * spaces.
 */
public final class EnglishSpellingNormalizer implements UnaryOperator<String> {

    private final Map<String, String> mapping;

    /** {@code mapping} may be null (a checkpoint without normalizer.json); applying it to words then fails. */
    public EnglishSpellingNormalizer(Map<String, String> mapping) {
        this.mapping = mapping == null ? null : Map.copyOf(mapping);
    }

    @Override
    public String apply(String s) {
        List<String> words = PyRegex.split(s);
        List<String> out = new ArrayList<>(words.size());
        for (String w : words) {
            if (mapping == null) {
                // Python fails here too ('NoneType' object has no attribute 'get'), only once there is a word.
                throw new IllegalStateException("No English spelling mapping: the English normaliser needs the"
                        + " checkpoint's normalizer.json (WhisperTokenizer's english_spelling_normalizer), which was"
                        + " not found next to the tokenizer files");
            }
            out.add(mapping.getOrDefault(w, w));
        }
        return String.join(" ", out);
    }
}
