package io.transformers4j.generation;

/**
 * Turns token ids into text, the one thing streamers need from a tokenizer (e.g.
 * {@code ids -> tokenizer.decode(ids, skipSpecialTokens)}). Kept an interface so generation does not depend on the
 * tokenizers module.
 */
@FunctionalInterface
public interface TokenDecoder {
    String decode(long[] tokenIds);
}
