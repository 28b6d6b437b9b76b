package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A token added on top of the model's vocabulary (Python's {@code tokenizers.AddedToken}): matched as a whole in the
 * text before the model tokenizes the rest. {@code lstrip}/{@code rstrip} eat the whitespace beside it,
 * {@code singleWord} matches only a whole word, {@code normalized} matches the normalized text, {@code special} marks
 * special tokens (skipped by {@code skip_special_tokens}).
 */
public record AddedToken(String content, boolean singleWord, boolean lstrip, boolean rstrip, boolean normalized,
        boolean special) {

    public AddedToken {
        if (content == null) {
            throw new IllegalArgumentException("AddedToken content must not be null");
        }
    }

    /** A special token as Python builds one from a plain string: not normalized, no stripping. */
    public static AddedToken special(String content) {
        return new AddedToken(content, false, false, false, false, true);
    }

    /** A plain (non-special) added token as Python builds one from a string: normalized, no stripping. */
    public static AddedToken plain(String content) {
        return new AddedToken(content, false, false, false, true, false);
    }

    public AddedToken withSpecial(boolean s) {
        return new AddedToken(content, singleWord, lstrip, rstrip, normalized, s);
    }

    /**
     * Reads a token as tokenizer_config.json / special_tokens_map.json store it: a string, or an object with
     * {@code content} and the flags. {@code defaultSpecial} applies when the object has no {@code special} key.
     */
    static AddedToken fromJson(JsonNode n, boolean defaultSpecial) {
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isTextual()) {
            return defaultSpecial ? special(n.asText()) : plain(n.asText());
        }
        if (!n.has("content")) {
            throw new IllegalArgumentException("An added token needs a 'content' field: " + n);
        }
        boolean special = n.path("special").asBoolean(defaultSpecial);
        return new AddedToken(n.get("content").asText(), n.path("single_word").asBoolean(false),
                n.path("lstrip").asBoolean(false), n.path("rstrip").asBoolean(false),
                n.path("normalized").asBoolean(!special), special);
    }

    /** The object form Python writes (added_tokens_decoder entries, special_tokens_map.json). */
    ObjectNode toJson(boolean withSpecial) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("content", content);
        o.put("lstrip", lstrip);
        o.put("normalized", normalized);
        o.put("rstrip", rstrip);
        o.put("single_word", singleWord);
        if (withSpecial) {
            o.put("special", special);
        }
        return o;
    }

    @Override
    public String toString() {
        return content;
    }
}
