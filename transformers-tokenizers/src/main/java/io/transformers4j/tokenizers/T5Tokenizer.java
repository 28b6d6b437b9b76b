package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Python's {@code T5Tokenizer} (models/t5/tokenization_t5.py), also LongT5's: a SentencePiece unigram model,
 * {@code </s>} appended to each sequence, and {@code extra_ids} sentinel tokens {@code <extra_id_0>} ... placed after
 * the SentencePiece vocabulary in reverse order ({@code <extra_id_0>} has the last id).
 */
public class T5Tokenizer extends SentencePieceTokenizer {

    static final Map<String, String> DEFAULTS = Map.of("eos_token", "</s>", "unk_token", "<unk>", "pad_token",
            "<pad>");

    protected final int extraIds;

    public T5Tokenizer(ObjectNode config, Path directory) throws IOException {
        super(config, directory, "spiece.model");
        extraIds = config.path("extra_ids").asInt(100);
        setUpExtraIds();
        initTokens(DEFAULTS);
    }

    /** Python's __init__: sentinel tokens become additional special tokens (lstrip/rstrip, not normalized). */
    private void setUpExtraIds() {
        JsonNode given = config.get("additional_special_tokens");
        List<String> extraTokens = new ArrayList<>();
        if (given != null && given.isArray()) {
            for (JsonNode n : given) {
                String c = n.isTextual() ? n.asText() : n.path("content").asText();
                if (c.contains("<extra_id_")) {
                    extraTokens.add(c);
                }
            }
            if (extraTokens.isEmpty()) {
                ArrayNode a = (ArrayNode) given;
                for (int i = 0; i < extraIds; i++) {
                    a.add("<extra_id_" + i + ">");
                    extraTokens.add("<extra_id_" + i + ">");
                }
            } else if (extraIds > 0 && extraIds != extraTokens.size()) {
                throw new IllegalArgumentException("Both extra_ids (" + extraIds + ") and additional_special_tokens ("
                        + given + ") are provided to T5Tokenizer. In this case the additional_special_tokens must"
                        + " include the extra_ids tokens");
            }
        } else {
            ArrayNode a = config.putArray("additional_special_tokens");
            for (int i = 0; i < extraIds; i++) {
                a.add("<extra_id_" + i + ">");
                extraTokens.add("<extra_id_" + i + ">");
            }
        }
        if (!config.has("added_tokens_decoder")) {
            ObjectNode dec = config.putObject("added_tokens_decoder");
            for (int i = 0; i < extraTokens.size(); i++) {
                int id = model.pieces.size() - 1 + extraIds - i;
                dec.set(String.valueOf(id),
                        new AddedToken("<extra_id_" + i + ">", false, true, true, false, true).toJson(true));
            }
        }
    }

    /** Python's {@code get_sentinel_tokens}. */
    public List<String> getSentinelTokens() {
        return additionalSpecialTokens().stream().filter(t -> t.matches(".*<extra_id_\\d+>.*")).toList();
    }

    public long[] getSentinelTokenIds() {
        return convertTokensToIds(getSentinelTokens());
    }

    private long[] addEosIfNotPresent(long[] ids) {
        long eos = eosTokenId();
        if (ids.length > 0 && ids[ids.length - 1] == eos) {
            warnOnce("t5-eos-present", "This sequence already has " + eosToken() + ". In future versions this"
                    + " behavior may lead to duplicated eos tokens being added.");
            return ids;
        }
        return concat(ids, new long[] {eos});
    }

    @Override
    public long[] buildInputsWithSpecialTokens(long[] ids0, long[] ids1) {
        long[] a = addEosIfNotPresent(ids0);
        return ids1 == null ? a : concat(a, addEosIfNotPresent(ids1));
    }

    @Override
    public long[] createTokenTypeIdsFromSequences(long[] ids0, long[] ids1) {
        return new long[ids0.length + 1 + (ids1 == null ? 0 : ids1.length + 1)];
    }

    @Override
    public long[] getSpecialTokensMask(long[] ids0, long[] ids1) {
        long[] out = new long[ids0.length + 1 + (ids1 == null ? 0 : ids1.length + 1)];
        out[ids0.length] = 1;
        if (ids1 != null) {
            out[out.length - 1] = 1;
        }
        return out;
    }

    /** Python's T5 {@code convert_tokens_to_string}: special tokens are not fed to SentencePiece. */
    @Override
    public String convertTokensToString(List<String> tokens) {
        tokens = new ArrayList<>(tokens);
        if (!tokens.isEmpty() && tokens.get(0).startsWith(SPIECE_UNDERLINE) && addPrefixSpace) {
            tokens.set(0, tokens.get(0).substring(1));
        }
        Set<String> special = allSpecialTokenSet();
        List<String> current = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        boolean prevIsSpecial = false;
        for (String token : tokens) {
            if (special.contains(token)) {
                if (!prevIsSpecial) {
                    out.append(' ');
                }
                out.append(decodePieces(current)).append(token);
                prevIsSpecial = true;
                current = new ArrayList<>();
            } else {
                current.add(token);
                prevIsSpecial = false;
            }
        }
        out.append(decodePieces(current));
        return pyStrip(out.toString());
    }
}
