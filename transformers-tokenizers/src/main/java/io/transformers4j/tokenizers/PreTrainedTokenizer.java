package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokenizer API shared by every model (Python's {@code PreTrainedTokenizerBase} + {@code PreTrainedTokenizer}):
 * special and added tokens, encoding to a {@link BatchEncoding} with Python's padding / truncation semantics
 * ({@code prepare_for_model}, {@code truncate_sequences}, {@code _pad}), decoding ({@code _decode}), chat templates
 * and {@code save_pretrained}. Subclasses supply the model: how text becomes tokens and ids ({@link #encodeText}),
 * the vocabulary, the special-token layout ({@link #buildInputsWithSpecialTokens}) and {@link #convertTokensToString}.
 *
 * <p>Thread-safety: encoding and decoding may run concurrently; adding tokens or changing settings may not run
 * concurrently with them.
 */
public abstract class PreTrainedTokenizer implements AutoCloseable {

    static final Logger LOG = LoggerFactory.getLogger(PreTrainedTokenizer.class);
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Python's SPECIAL_TOKENS_ATTRIBUTES, in Python's order (additional_special_tokens kept apart). */
    public static final List<String> SPECIAL_TOKENS_ATTRIBUTES = List.of("bos_token", "eos_token", "unk_token",
            "sep_token", "pad_token", "cls_token", "mask_token");

    /** Python's VERY_LARGE_INTEGER (1e30): "no model_max_length". Longs cannot hold it, so it is clamped. */
    public static final long VERY_LARGE_INTEGER = Long.MAX_VALUE;
    /** Python's LARGE_INTEGER (1e20), clamped like {@link #VERY_LARGE_INTEGER}: above it means "no maximum". */
    static final long LARGE_INTEGER = 1_000_000_000_000_000_000L;

    protected final ObjectNode config;
    protected final Path directory;
    protected final Map<String, AddedToken> specialTokens = new LinkedHashMap<>();
    protected final List<AddedToken> additionalSpecialTokens = new ArrayList<>();
    protected final TreeMap<Integer, AddedToken> addedTokensDecoder = new TreeMap<>();
    protected final Map<String, Integer> addedTokensEncoder = new HashMap<>();
    private volatile Trie trie = new Trie();
    private volatile long[] allSpecialIdsCache;
    protected long modelMaxLength = VERY_LARGE_INTEGER;
    protected String paddingSide = "right";
    protected String truncationSide = "right";
    protected boolean cleanUpTokenizationSpaces = true;
    protected boolean splitSpecialTokens;
    protected int padTokenTypeId;
    protected Object chatTemplate;
    protected List<String> modelInputNames = List.of("input_ids", "token_type_ids", "attention_mask");
    private final Set<String> warnedOnce = ConcurrentHashMap.newKeySet();

    /**
     * Text → tokens → ids for one text, with added tokens handled and no special tokens added. {@code tokens} may be
     * null from a batch encode that does not need them, {@code offsets} null where not asked for or not tracked.
     */
    public record Encoded(long[] ids, List<String> tokens, int[][] offsets) {
    }

    protected PreTrainedTokenizer(ObjectNode config, Path directory) {
        this.config = config == null ? JSON.createObjectNode() : config.deepCopy();
        this.directory = directory;
    }

    // ------------------------------------------------------------------------------------------------ set-up

    /**
     * Reads special tokens, added tokens and the shared settings from the config (tokenizer_config.json merged with
     * special_tokens_map.json and the caller's overrides). Call at the end of the subclass constructor, once the
     * vocabulary answers {@link #vocabLookup}. {@code defaults} are the class's default special tokens.
     */
    protected void initTokens(Map<String, String> defaults) {
        JsonNode decoder = config.get("added_tokens_decoder");
        Map<String, AddedToken> byContent = new HashMap<>();
        if (decoder != null && decoder.isObject()) {
            decoder.fields().forEachRemaining(e -> {
                AddedToken t = AddedToken.fromJson(e.getValue(), false);
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("added_tokens_decoder key '" + e.getKey() + "' is not an id");
                }
                addedTokensDecoder.put(id, t);
                addedTokensEncoder.put(t.content(), id);
                byContent.put(t.content(), t);
            });
        }
        for (String key : SPECIAL_TOKENS_ATTRIBUTES) {
            JsonNode v = config.has(key) ? config.get(key) : null;
            AddedToken t;
            if (v == null) {
                String d = defaults.get(key);
                t = d == null ? null : AddedToken.special(d);
            } else {
                t = AddedToken.fromJson(v, true);
            }
            if (t != null) {
                specialTokens.put(key, markSpecial(byContent, t));
            }
        }
        JsonNode extra = config.get("additional_special_tokens");
        if (extra != null && extra.isArray()) {
            for (JsonNode n : extra) {
                AddedToken use = markSpecial(byContent, AddedToken.fromJson(n, true));
                if (additionalSpecialTokens.stream().noneMatch(a -> a.content().equals(use.content()))) {
                    additionalSpecialTokens.add(use);
                }
            }
        }
        JsonNode mml = config.get("model_max_length");
        if (mml != null && mml.isNumber()) {
            BigInteger b = mml.bigIntegerValue();
            modelMaxLength = b.compareTo(BigInteger.valueOf(LARGE_INTEGER)) > 0 ? VERY_LARGE_INTEGER : b.longValue();
        }
        paddingSide = config.path("padding_side").asText(paddingSide);
        truncationSide = config.path("truncation_side").asText(truncationSide);
        checkSide("padding_side", paddingSide);
        checkSide("truncation_side", truncationSide);
        cleanUpTokenizationSpaces = config.path("clean_up_tokenization_spaces").asBoolean(cleanUpTokenizationSpaces);
        splitSpecialTokens = config.path("split_special_tokens").asBoolean(false);
        JsonNode ct = config.get("chat_template");
        if (ct != null && ct.isTextual()) {
            chatTemplate = ct.asText();
        } else if (ct != null && ct.isArray()) {
            Map<String, String> named = new LinkedHashMap<>();
            for (JsonNode n : ct) {
                named.put(n.path("name").asText(), n.path("template").asText());
            }
            chatTemplate = named;
        }
        JsonNode names = config.get("model_input_names");
        if (names != null && names.isArray()) {
            List<String> l = new ArrayList<>();
            names.forEach(n -> l.add(n.asText()));
            modelInputNames = List.copyOf(l);
        }
        // Python adds the special tokens that are not added tokens yet (at their vocab id, or after the vocab).
        List<AddedToken> missing = new ArrayList<>();
        for (AddedToken t : allSpecialTokensExtended()) {
            if (!addedTokensEncoder.containsKey(t.content())) {
                missing.add(t);
            }
        }
        addTokensInternal(missing, true);
        rebuildTrie();
    }

    /** A special token takes its flags from added_tokens_decoder, where the entry becomes special. */
    private AddedToken markSpecial(Map<String, AddedToken> byContent, AddedToken t) {
        AddedToken known = byContent.get(t.content());
        if (known == null) {
            return t;
        }
        if (!known.special()) {
            known = known.withSpecial(true);
            byContent.put(known.content(), known);
            addedTokensDecoder.put(addedTokensEncoder.get(known.content()), known);
        }
        return known;
    }

    private static void checkSide(String key, String v) {
        if (!v.equals("right") && !v.equals("left")) {
            throw new IllegalArgumentException(key + " should be 'right' or 'left', got '" + v + "'");
        }
    }

    // ------------------------------------------------------------------------------------------------ vocabulary

    /** Size of the base vocabulary, without added tokens (Python's {@code vocab_size}). */
    public abstract int vocabSize();

    /** The id of {@code token} in the base vocabulary, or null (no unk fallback). */
    protected abstract Integer vocabLookup(String token);

    /** Python's {@code _convert_token_to_id}: the base vocabulary with the model's unk fallback. */
    protected abstract long convertTokenToIdImpl(String token);

    /** Python's {@code _convert_id_to_token}. */
    protected abstract String convertIdToTokenImpl(long id);

    /** Python's {@code convert_tokens_to_string}: joins model tokens (no added tokens) into text. */
    public abstract String convertTokensToString(List<String> tokens);

    /** Python's {@code len(tokenizer)}: base vocabulary plus added tokens outside it. */
    public int size() {
        int n = vocabSize();
        for (int id : addedTokensDecoder.keySet()) {
            if (id >= vocabSize()) {
                n++;
            }
        }
        return n;
    }

    /** Python's {@code get_vocab()}: every token and its id, added tokens included. */
    public Map<String, Integer> getVocab() {
        Map<String, Integer> v = new LinkedHashMap<>();
        for (int i = 0; i < vocabSize(); i++) {
            v.put(convertIdToTokenImpl(i), i);
        }
        addedTokensEncoder.forEach(v::put);
        return v;
    }

    public long convertTokensToIds(String token) {
        Integer a = addedTokensEncoder.get(token);
        return a != null ? a : convertTokenToIdImpl(token);
    }

    public long[] convertTokensToIds(List<String> tokens) {
        long[] ids = new long[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = convertTokensToIds(tokens.get(i));
        }
        return ids;
    }

    public String convertIdsToTokens(long id) {
        AddedToken t = addedTokensDecoder.get((int) id);
        return t != null ? t.content() : convertIdToTokenImpl(id);
    }

    public List<String> convertIdsToTokens(long[] ids, boolean skipSpecialTokens) {
        List<String> out = new ArrayList<>(ids.length);
        long[] special = skipSpecialTokens ? allSpecialIds() : null;
        for (long id : ids) {
            if (skipSpecialTokens && contains(special, id)) {
                continue;
            }
            out.add(convertIdsToTokens(id));
        }
        return out;
    }

    static boolean contains(long[] a, long v) {
        for (long x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    // ------------------------------------------------------------------------------------------------ special tokens

    private String special(String key) {
        AddedToken t = specialTokens.get(key);
        return t == null ? null : t.content();
    }

    private Long specialId(String key) {
        String s = special(key);
        return s == null ? null : convertTokensToIds(s);
    }

    public String bosToken() { return special("bos_token"); }
    public String eosToken() { return special("eos_token"); }
    public String unkToken() { return special("unk_token"); }
    public String sepToken() { return special("sep_token"); }
    public String padToken() { return special("pad_token"); }
    public String clsToken() { return special("cls_token"); }
    public String maskToken() { return special("mask_token"); }
    public Long bosTokenId() { return specialId("bos_token"); }
    public Long eosTokenId() { return specialId("eos_token"); }
    public Long unkTokenId() { return specialId("unk_token"); }
    public Long sepTokenId() { return specialId("sep_token"); }
    public Long padTokenId() { return specialId("pad_token"); }
    public Long clsTokenId() { return specialId("cls_token"); }
    public Long maskTokenId() { return specialId("mask_token"); }

    public List<String> additionalSpecialTokens() {
        return additionalSpecialTokens.stream().map(AddedToken::content).toList();
    }

    /** Python's {@code special_tokens_map}: attribute name → token (a list for additional_special_tokens). */
    public Map<String, Object> specialTokensMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        specialTokens.forEach((k, v) -> m.put(k, v.content()));
        if (!additionalSpecialTokens.isEmpty()) {
            m.put("additional_special_tokens", additionalSpecialTokens());
        }
        return m;
    }

    List<AddedToken> allSpecialTokensExtended() {
        List<AddedToken> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String key : SPECIAL_TOKENS_ATTRIBUTES) {
            AddedToken t = specialTokens.get(key);
            if (t != null && seen.add(t.content())) {
                out.add(t);
            }
        }
        for (AddedToken t : additionalSpecialTokens) {
            if (seen.add(t.content())) {
                out.add(t);
            }
        }
        return out;
    }

    /** Python's {@code all_special_tokens}: every special token once, in attribute order. */
    public List<String> allSpecialTokens() {
        return allSpecialTokensExtended().stream().map(AddedToken::content).toList();
    }

    /** Python's {@code all_special_ids}, in the order of {@link #allSpecialTokens()}. */
    public long[] allSpecialIds() {
        long[] c = allSpecialIdsCache;
        if (c == null) {
            c = convertTokensToIds(allSpecialTokens());
            allSpecialIdsCache = c;
        }
        return c;
    }

    /** Python's {@code added_tokens_decoder} (a copy). */
    public Map<Integer, AddedToken> addedTokensDecoder() {
        return new TreeMap<>(addedTokensDecoder);
    }

    /** Sets the pad token (Python's {@code tokenizer.pad_token = ...}); adds it as a special token if new. */
    public void setPadToken(String token) {
        addSpecialTokens(Map.of("pad_token", token));
    }

    /**
     * Python's {@code add_tokens}: adds tokens after the vocabulary (an existing vocabulary token keeps its id),
     * returns how many new ids were created.
     */
    public int addTokens(Collection<String> tokens) {
        return addTokens(tokens.stream().map(AddedToken::plain).toList(), false);
    }

    /** Python's {@code add_tokens(new_tokens, special_tokens)} with explicit {@link AddedToken} flags. */
    public int addTokens(List<AddedToken> tokens, boolean specialTokens) {
        int n = addTokensInternal(tokens, specialTokens);
        rebuildTrie();
        onAddedTokensChanged();
        return n;
    }

    /**
     * Python's {@code add_special_tokens}: keys are special-token attributes ("pad_token", ...) with a string or
     * {@link AddedToken}, or "additional_special_tokens" with a list. Returns how many new ids were created.
     */
    public int addSpecialTokens(Map<String, ?> tokens) {
        List<AddedToken> toAdd = new ArrayList<>();
        for (Map.Entry<String, ?> e : tokens.entrySet()) {
            String key = e.getKey();
            if (key.equals("additional_special_tokens")) {
                if (!(e.getValue() instanceof Collection<?> c)) {
                    throw new IllegalArgumentException("additional_special_tokens must be a list, got " + e.getValue());
                }
                for (Object o : c) {
                    AddedToken t = asSpecial(o);
                    if (additionalSpecialTokens.stream().noneMatch(a -> a.content().equals(t.content()))) {
                        additionalSpecialTokens.add(t);
                    }
                    toAdd.add(t);
                }
            } else if (SPECIAL_TOKENS_ATTRIBUTES.contains(key)) {
                AddedToken t = asSpecial(e.getValue());
                specialTokens.put(key, t);
                toAdd.add(t);
            } else {
                throw new IllegalArgumentException("Key '" + key + "' is not a special token attribute; use one of "
                        + SPECIAL_TOKENS_ATTRIBUTES + " or additional_special_tokens");
            }
        }
        return addTokens(toAdd, true);
    }

    private static AddedToken asSpecial(Object o) {
        if (o instanceof AddedToken t) {
            return t.withSpecial(true);
        }
        if (o instanceof String s) {
            return AddedToken.special(s);
        }
        throw new IllegalArgumentException("A special token must be a String or AddedToken, got " + o);
    }

    /** Python's {@code _add_tokens}. */
    private int addTokensInternal(List<AddedToken> tokens, boolean specialTokens) {
        int added = 0;
        int newIdx = size();
        Set<String> allSpecial = new HashSet<>(allSpecialTokens());
        for (AddedToken token : tokens) {
            if (token.content().isEmpty()) {
                continue;
            }
            if (specialTokens && !token.special()) {
                token = token.withSpecial(true);
            }
            boolean isSpecial = token.special() || allSpecial.contains(token.content());
            if (isSpecial != token.special()) {
                token = token.withSpecial(isSpecial);
            }
            if (addedTokensEncoder.containsKey(token.content())) {
                // Python skips tokens already in the decoder; keep the flags it has.
                continue;
            }
            if (!token.special() && token.normalized() && doLowerCase()) {
                token = new AddedToken(token.content().toLowerCase(java.util.Locale.ROOT), token.singleWord(),
                        token.lstrip(), token.rstrip(), true, false);
            }
            Integer existing = vocabLookup(token.content());
            int id;
            if (existing != null) {
                id = existing;
            } else {
                id = newIdx + added;
                added++;
            }
            if (token.special() && !allSpecial.contains(token.content())) {
                final AddedToken t = token;
                if (additionalSpecialTokens.stream().noneMatch(a -> a.content().equals(t.content()))) {
                    additionalSpecialTokens.add(token);
                }
            }
            addedTokensDecoder.put(id, token);
            addedTokensEncoder.put(token.content(), id);
        }
        allSpecialIdsCache = null;
        return added;
    }

    private void rebuildTrie() {
        Trie t = new Trie();
        for (AddedToken a : addedTokensDecoder.values()) {
            t.add(a.content());
        }
        trie = t;
        allSpecialIdsCache = null;
    }

    /** Hook for backends that hold their own copy of the added tokens. */
    protected void onAddedTokensChanged() {
    }

    /** Whether the tokenizer lower-cases input (Python's {@code do_lower_case} attribute, where the class has one). */
    protected boolean doLowerCase() {
        return false;
    }

    // ------------------------------------------------------------------------------------------------ tokenize

    /** Python's {@code tokenize(text)}: the tokens of one text, added tokens kept whole, no special tokens added. */
    public List<String> tokenize(String text) {
        return encodeText(text).tokens();
    }

    /** Text → ids and tokens (and offsets where the backend has them), no special tokens added. */
    protected abstract Encoded encodeText(String text);

    /** Batch form of {@link #encodeText}; backends that batch natively override it. */
    protected List<Encoded> encodeTexts(List<String> texts) {
        List<Encoded> out = new ArrayList<>(texts.size());
        for (String t : texts) {
            out.add(encodeText(t));
        }
        return out;
    }

    /**
     * {@link #encodeTexts} for a batch encode; {@code withOffsets} false lets a backend skip building the character
     * offsets nobody asked for (one small array per token).
     */
    protected List<Encoded> encodeTexts(List<String> texts, boolean withOffsets) {
        return encodeTexts(texts);
    }

    /** Python's {@code prepare_for_tokenization}: model-specific text changes before splitting on added tokens. */
    protected String prepareForTokenization(String text) {
        return text;
    }

    /**
     * Python's slow {@code tokenize}: lower-cases where {@link #doLowerCase()} (special tokens excepted), splits on
     * added tokens (honouring lstrip / rstrip / single_word) and hands the rest to {@link #tokenizeSegment}.
     */
    protected List<String> slowTokenize(String text) {
        text = prepareForTokenization(text);
        if (doLowerCase()) {
            text = lowerCaseExceptSpecial(text);
        }
        List<String> parts = splitSpecialTokens ? new ArrayList<>(List.of(text)) : trie.split(text);
        for (int i = 0; i < parts.size(); i++) {
            String p = parts.get(i);
            Integer id = splitSpecialTokens ? null : addedTokensEncoder.get(p);
            if (id == null) {
                continue;
            }
            AddedToken t = addedTokensDecoder.get(id);
            String left = i > 0 ? parts.get(i - 1) : null;
            String right = i < parts.size() - 1 ? parts.get(i + 1) : null;
            if (t.rstrip() && right != null && !right.isEmpty()) {
                parts.set(i + 1, pyLstrip(right));
            }
            if (t.lstrip() && left != null && !left.isEmpty()) {
                parts.set(i - 1, pyRstrip(left));
            }
            left = i > 0 ? parts.get(i - 1) : null;
            right = i < parts.size() - 1 ? parts.get(i + 1) : null;
            if (t.singleWord() && left != null && !left.isEmpty() && left.charAt(left.length() - 1) != ' ') {
                parts.set(i - 1, left + p);
                parts.set(i, "");
            } else if (t.singleWord() && right != null && !right.isEmpty() && right.charAt(0) != ' ') {
                parts.set(i + 1, p + right);
                parts.set(i, "");
            }
        }
        List<String> out = new ArrayList<>();
        for (String p : parts) {
            if (p.isEmpty()) {
                continue;
            }
            if (!splitSpecialTokens && addedTokensEncoder.containsKey(p)) {
                out.add(p);
            } else {
                out.addAll(tokenizeSegment(p));
            }
        }
        return out;
    }

    /** Python's {@code _tokenize}: model tokens of a text that holds no added token. */
    protected List<String> tokenizeSegment(String text) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " does not tokenize by segments");
    }

    /** Python's whitespace stripping (str.strip() strips Unicode whitespace, not only ASCII). */
    static String pyLstrip(String s) {
        int i = 0;
        while (i < s.length() && isPyWhitespace(s.charAt(i))) {
            i++;
        }
        return s.substring(i);
    }

    static String pyRstrip(String s) {
        int i = s.length();
        while (i > 0 && isPyWhitespace(s.charAt(i - 1))) {
            i--;
        }
        return s.substring(0, i);
    }

    static String pyStrip(String s) {
        return pyLstrip(pyRstrip(s));
    }

    static boolean isPyWhitespace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u001c' || c == '\u001d'
                || c == '\u001e' || c == '\u001f' || c == '\u0085';
    }

    /**
     * Python's lower-casing in {@code tokenize}: {@code re.sub(r"(specials|...)|(.+?)", ...)} lowers one character at
     * a time outside special tokens (and non-special normalized added tokens), so there is no final-sigma context.
     */
    String lowerCaseExceptSpecial(String text) {
        List<String> keep = new ArrayList<>(allSpecialTokens());
        for (AddedToken t : addedTokensDecoder.values()) {
            if (!t.special() && t.normalized()) {
                keep.add(t.content());
            }
        }
        if (keep.isEmpty()) {
            return lowerEachChar(text);
        }
        StringBuilder alt = new StringBuilder();
        for (String k : keep) {
            if (alt.length() > 0) {
                alt.append('|');
            }
            alt.append(Pattern.quote(k));
        }
        java.util.regex.Matcher m = Pattern.compile(alt.toString()).matcher(text);
        StringBuilder out = new StringBuilder();
        int last = 0;
        while (m.find()) {
            out.append(lowerEachChar(text.substring(last, m.start()))).append(m.group());
            last = m.end();
        }
        out.append(lowerEachChar(text.substring(last)));
        return out.toString();
    }

    private static String lowerEachChar(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> sb.append(new String(Character.toChars(cp)).toLowerCase(java.util.Locale.ROOT)));
        return sb.toString();
    }

    /** The slow path of {@link #encodeText}: {@link #slowTokenize} then {@link #convertTokensToIds(List)}. */
    protected Encoded slowEncode(String text) {
        List<String> tokens = slowTokenize(text);
        return new Encoded(convertTokensToIds(tokens), tokens, null);
    }

    // ------------------------------------------------------------------------------------------------ special layout

    /** Python's {@code build_inputs_with_special_tokens}; {@code ids1} is null for a single sequence. */
    public long[] buildInputsWithSpecialTokens(long[] ids0, long[] ids1) {
        return ids1 == null ? ids0.clone() : concat(ids0, ids1);
    }

    /** Python's {@code create_token_type_ids_from_sequences}. */
    public long[] createTokenTypeIdsFromSequences(long[] ids0, long[] ids1) {
        long[] out = new long[ids0.length + (ids1 == null ? 0 : ids1.length)];
        Arrays.fill(out, ids0.length, out.length, 1);
        return out;
    }

    /** Python's {@code get_special_tokens_mask(ids0, ids1)} for sequences without special tokens. */
    public long[] getSpecialTokensMask(long[] ids0, long[] ids1) {
        return new long[ids0.length + (ids1 == null ? 0 : ids1.length)];
    }

    /** Python's {@code num_special_tokens_to_add}. */
    public int numSpecialTokensToAdd(boolean pair) {
        return buildInputsWithSpecialTokens(new long[0], pair ? new long[0] : null).length;
    }

    static long[] concat(long[]... parts) {
        int n = 0;
        for (long[] p : parts) {
            n += p.length;
        }
        long[] out = new long[n];
        int at = 0;
        for (long[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ encode

    /** Python's {@code tokenizer.encode(text)}: input ids with special tokens. */
    public long[] encode(String text) {
        return encode(text, null, EncodeOptions.defaults());
    }

    public long[] encode(String text, String textPair, EncodeOptions options) {
        return encodePlus(text, textPair, options).row(0).inputIds();
    }

    /** Python's {@code tokenizer(text)}: a one-row {@link BatchEncoding} with special tokens. */
    public BatchEncoding encodePlus(String text) {
        return encodePlus(text, null, EncodeOptions.defaults());
    }

    /** Python's {@code tokenizer(text, text_pair, **options)} for one input; {@code textPair} may be null. */
    public BatchEncoding encodePlus(String text, String textPair, EncodeOptions options) {
        requireText(text, "text");
        Resolved r = resolve(options);
        Encoded a = encodeText(text);
        Encoded b = textPair == null ? null : encodeText(textPair);
        BatchEncoding.Row row = prepareForModel(a, b, options, r, r.padding);
        return new BatchEncoding(List.of(row));
    }

    /** Python's {@code tokenizer(list_of_texts, **options)}. */
    public BatchEncoding batchEncodePlus(List<String> texts, EncodeOptions options) {
        return batchEncodePlus(texts, null, options);
    }

    /** Python's {@code tokenizer(texts, text_pairs, **options)}; {@code pairs} may be null, else as long as texts. */
    public BatchEncoding batchEncodePlus(List<String> texts, List<String> pairs, EncodeOptions options) {
        if (pairs != null && pairs.size() != texts.size()) {
            throw new IllegalArgumentException("batch length of `text`: " + texts.size()
                    + " does not match batch length of `text_pair`: " + pairs.size() + ".");
        }
        for (int i = 0; i < texts.size(); i++) {
            requireText(texts.get(i), "text[" + i + "]");
            if (pairs != null) {
                requireText(pairs.get(i), "text_pair[" + i + "]");
            }
        }
        Resolved r = resolve(options);
        List<Encoded> a = encodeTexts(texts, options.returnOffsetsMapping());
        List<Encoded> b = pairs == null ? null : encodeTexts(pairs, options.returnOffsetsMapping());
        List<BatchEncoding.Row> rows = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            // Python's _batch_prepare_for_model: no padding and no attention mask per row, pad() adds both.
            rows.add(prepareForModel(a.get(i), b == null ? null : b.get(i), options, r, null));
        }
        return new BatchEncoding(pad(rows, r.padding, r.maxLength, options.padToMultipleOf(),
                returnAttentionMask(options)));
    }

    private static void requireText(String t, String name) {
        if (t == null) {
            throw new IllegalArgumentException("Input " + name + " is null: text input must be of type `str`");
        }
    }

    /** Padding / truncation after Python's {@code _get_padding_truncation_strategies}. */
    record Resolved(PaddingStrategy padding, TruncationStrategy truncation, Integer maxLength) {
    }

    Resolved resolve(EncodeOptions o) {
        PaddingStrategy padding = o.padding();
        TruncationStrategy truncation = o.truncation();
        Integer maxLength = o.maxLength();
        if (maxLength != null && padding == PaddingStrategy.DO_NOT_PAD && truncation == null) {
            warnOnce("Truncation-not-explicitly-activated", "Truncation was not explicitly activated but `max_length`"
                    + " is provided a specific value, please use `truncation=True` to explicitly truncate examples to"
                    + " max length. Defaulting to 'longest_first' truncation strategy. If you encode pairs of sequences"
                    + " (GLUE-style) with the tokenizer you can select this strategy more precisely by providing a"
                    + " specific strategy to `truncation`.");
            truncation = TruncationStrategy.LONGEST_FIRST;
        }
        if (truncation == null) {
            truncation = TruncationStrategy.DO_NOT_TRUNCATE;
        }
        if (maxLength == null) {
            if (padding == PaddingStrategy.MAX_LENGTH) {
                if (modelMaxLength >= LARGE_INTEGER) {
                    warnOnce("Asking-to-pad-to-max_length", "Asking to pad to max_length but no maximum length is"
                            + " provided and the model has no predefined maximum length. Default to no padding.");
                    padding = PaddingStrategy.DO_NOT_PAD;
                } else {
                    maxLength = (int) modelMaxLength;
                }
            }
            if (truncation != TruncationStrategy.DO_NOT_TRUNCATE) {
                if (modelMaxLength >= LARGE_INTEGER) {
                    warnOnce("Asking-to-truncate-to-max_length", "Asking to truncate to max_length but no maximum"
                            + " length is provided and the model has no predefined maximum length. Default to no"
                            + " truncation.");
                    truncation = TruncationStrategy.DO_NOT_TRUNCATE;
                } else {
                    maxLength = (int) modelMaxLength;
                }
            }
        }
        if (padding != PaddingStrategy.DO_NOT_PAD && (padToken() == null || padTokenId() < 0)) {
            throw new IllegalStateException("Asking to pad but the tokenizer does not have a padding token. Please"
                    + " select a token to use as `pad_token` `(tokenizer.pad_token = tokenizer.eos_token e.g.)` or add"
                    + " a new pad token via `tokenizer.add_special_tokens({'pad_token': '[PAD]'})`.");
        }
        if (truncation != TruncationStrategy.DO_NOT_TRUNCATE && padding != PaddingStrategy.DO_NOT_PAD
                && o.padToMultipleOf() != null && maxLength != null && maxLength % o.padToMultipleOf() != 0) {
            throw new IllegalArgumentException("Truncation and padding are both activated but truncation length ("
                    + maxLength + ") is not a multiple of pad_to_multiple_of (" + o.padToMultipleOf() + ").");
        }
        if (o.returnOffsetsMapping() && !supportsOffsets()) {
            throw new UnsupportedOperationException("return_offset_mapping is not available for "
                    + getClass().getSimpleName() + ": its backend does not track character offsets.");
        }
        return new Resolved(padding, truncation, maxLength);
    }

    /** Whether {@link #encodeText} fills offsets. */
    protected boolean supportsOffsets() {
        return false;
    }

    private boolean returnAttentionMask(EncodeOptions o) {
        return o.returnAttentionMask() != null ? o.returnAttentionMask() : modelInputNames.contains("attention_mask");
    }

    /** Python's {@code prepare_for_model} for one example; {@code padding} null: a batch row that pad() finishes. */
    BatchEncoding.Row prepareForModel(Encoded first, Encoded second, EncodeOptions o, Resolved r,
            PaddingStrategy padding) {
        boolean pair = second != null;
        boolean addSpecial = o.addSpecialTokens();
        if (Boolean.TRUE.equals(o.returnTokenTypeIds()) && !addSpecial) {
            throw new IllegalArgumentException("Asking to return token_type_ids while setting add_special_tokens to"
                    + " False results in an undefined behavior. Please set add_special_tokens to True or set"
                    + " return_token_type_ids to None.");
        }
        if (o.returnOverflowingTokens() && r.truncation == TruncationStrategy.LONGEST_FIRST && pair) {
            throw new IllegalArgumentException("Not possible to return overflowing tokens for pair of sequences with"
                    + " the `longest_first`. Please select another truncation strategy than `longest_first`, for"
                    + " instance `only_second` or `only_first`.");
        }
        boolean returnTypeIds = o.returnTokenTypeIds() != null ? o.returnTokenTypeIds()
                : modelInputNames.contains("token_type_ids");
        long[] ids = first.ids();
        long[] pairIds = pair ? second.ids() : null;
        int[][] offA = first.offsets();
        int[][] offB = pair ? second.offsets() : null;
        int totalLen = ids.length + (pair ? pairIds.length : 0) + (addSpecial ? numSpecialTokensToAdd(pair) : 0);
        long[] overflowing = new long[0];
        if (r.truncation != TruncationStrategy.DO_NOT_TRUNCATE && r.maxLength != null && r.maxLength > 0
                && totalLen > r.maxLength) {
            Truncated t = truncateSequences(ids, pairIds, totalLen - r.maxLength, r.truncation, o.stride());
            if (offA != null) {
                offA = sliceLike(offA, ids, t.ids, t.cutLeftA);
            }
            if (offB != null) {
                offB = sliceLike(offB, pairIds, t.pairIds, t.cutLeftB);
            }
            ids = t.ids;
            pairIds = t.pairIds;
            overflowing = t.overflowing;
        }
        long[] sequence;
        long[] typeIds;
        long[] specialMask;
        if (addSpecial) {
            sequence = buildInputsWithSpecialTokens(ids, pairIds);
            typeIds = createTokenTypeIdsFromSequences(ids, pairIds);
            specialMask = getSpecialTokensMask(ids, pairIds);
        } else {
            sequence = pair ? concat(ids, pairIds) : ids.clone();
            typeIds = new long[sequence.length];
            specialMask = new long[sequence.length];
        }
        int[][] offsets = null;
        if (o.returnOffsetsMapping()) {
            offsets = layoutOffsets(specialMask, offA, offB, sequence.length);
        }
        if (r.maxLength == null && sequence.length > modelMaxLength && o.verbose()) {
            warnOnce("sequence-length-is-longer-than-the-specified-maximum", "Token indices sequence length is longer"
                    + " than the specified maximum sequence length for this model (" + sequence.length + " > "
                    + modelMaxLength + "). Running this sequence through the model will result in indexing errors");
        }
        BatchEncoding.Row row = new BatchEncoding.Row(sequence, null, returnTypeIds ? typeIds : null,
                o.returnSpecialTokensMask() ? specialMask : null, offsets,
                o.returnOverflowingTokens() ? overflowing : null,
                o.returnOverflowingTokens() ? (r.maxLength == null ? 0 : totalLen - r.maxLength) : null);
        if (padding != null && (padding != PaddingStrategy.DO_NOT_PAD || returnAttentionMask(o))) {
            row = padRow(row, padding, r.maxLength, o.padToMultipleOf(), returnAttentionMask(o));
        }
        return row;
    }

    private static int[][] sliceLike(int[][] offsets, long[] before, long[] after, boolean cutLeft) {
        if (before.length == after.length) {
            return offsets;
        }
        return cutLeft ? Arrays.copyOfRange(offsets, before.length - after.length, before.length)
                : Arrays.copyOf(offsets, after.length);
    }

    private static int[][] layoutOffsets(long[] specialMask, int[][] a, int[][] b, int n) {
        int[][] out = new int[n][];
        int ia = 0;
        int ib = 0;
        for (int i = 0; i < n; i++) {
            if (i < specialMask.length && specialMask[i] == 1) {
                out[i] = new int[] {0, 0};
            } else if (a != null && ia < a.length) {
                out[i] = a[ia++];
            } else if (b != null && ib < b.length) {
                out[i] = b[ib++];
            } else {
                out[i] = new int[] {0, 0};
            }
        }
        return out;
    }

    record Truncated(long[] ids, long[] pairIds, long[] overflowing, boolean cutLeftA, boolean cutLeftB) {
    }

    /** Python 4.39's {@code truncate_sequences}. */
    Truncated truncateSequences(long[] ids, long[] pairIds, int numTokensToRemove, TruncationStrategy strategy,
            int stride) {
        boolean left = truncationSide.equals("left");
        if (numTokensToRemove <= 0) {
            return new Truncated(ids, pairIds, new long[0], left, left);
        }
        long[] overflowing = new long[0];
        if (strategy == TruncationStrategy.ONLY_FIRST
                || (strategy == TruncationStrategy.LONGEST_FIRST && pairIds == null)) {
            if (ids.length > numTokensToRemove) {
                int window = Math.min(ids.length, stride + numTokensToRemove);
                if (left) {
                    overflowing = Arrays.copyOfRange(ids, 0, window);
                    ids = Arrays.copyOfRange(ids, numTokensToRemove, ids.length);
                } else {
                    overflowing = Arrays.copyOfRange(ids, ids.length - window, ids.length);
                    ids = Arrays.copyOfRange(ids, 0, ids.length - numTokensToRemove);
                }
            } else {
                String msg = "We need to remove " + numTokensToRemove + " to truncate the input but the first sequence"
                        + " has a length " + ids.length + ". ";
                if (strategy == TruncationStrategy.ONLY_FIRST) {
                    msg += "Please select another truncation strategy than only_first, for instance 'longest_first'"
                            + " or 'only_second'.";
                }
                LOG.error(msg);
            }
        } else if (strategy == TruncationStrategy.LONGEST_FIRST) {
            warnOnce("longest-first-overflow", "Be aware, overflowing tokens are not returned for the setting you have"
                    + " chosen, i.e. sequence pairs with the 'longest_first' truncation strategy. So the returned list"
                    + " will always be empty even if some tokens have been removed.");
            int lenPair = pairIds.length;
            int lenIds = ids.length;
            int firstRemove = Math.min(Math.abs(lenPair - lenIds), numTokensToRemove);
            int secondRemove = numTokensToRemove - firstRemove;
            int idsToMove;
            int pairToMove;
            if (lenIds > lenPair) {
                idsToMove = firstRemove + secondRemove / 2;
                pairToMove = secondRemove - secondRemove / 2;
            } else {
                idsToMove = secondRemove / 2;
                pairToMove = firstRemove + secondRemove - secondRemove / 2;
            }
            ids = cut(ids, idsToMove, left);
            pairIds = cut(pairIds, pairToMove, left);
        } else if (strategy == TruncationStrategy.ONLY_SECOND && pairIds != null) {
            if (pairIds.length > numTokensToRemove) {
                int window = Math.min(pairIds.length, stride + numTokensToRemove);
                if (left) {
                    overflowing = Arrays.copyOfRange(pairIds, 0, window);
                    pairIds = Arrays.copyOfRange(pairIds, numTokensToRemove, pairIds.length);
                } else {
                    overflowing = Arrays.copyOfRange(pairIds, pairIds.length - window, pairIds.length);
                    pairIds = Arrays.copyOfRange(pairIds, 0, pairIds.length - numTokensToRemove);
                }
            } else {
                LOG.error("We need to remove " + numTokensToRemove + " to truncate the input but the second sequence"
                        + " has a length " + pairIds.length + ". Please select another truncation strategy than"
                        + " only_second, for instance 'longest_first' or 'only_first'.");
            }
        }
        return new Truncated(ids, pairIds, overflowing, left, left);
    }

    /** Python slicing {@code a[:-n]} (right) or {@code a[n:]} (left); n larger than the array empties it. */
    private static long[] cut(long[] a, int n, boolean left) {
        if (n <= 0) {
            return a;
        }
        n = Math.min(n, a.length);
        return left ? Arrays.copyOfRange(a, n, a.length) : Arrays.copyOfRange(a, 0, a.length - n);
    }

    /** Python's {@code pad} over a batch: LONGEST pads every row to the longest row. */
    List<BatchEncoding.Row> pad(List<BatchEncoding.Row> rows, PaddingStrategy padding, Integer maxLength,
            Integer padToMultipleOf, boolean returnAttentionMask) {
        if (padding == PaddingStrategy.LONGEST) {
            int longest = 0;
            for (BatchEncoding.Row r : rows) {
                longest = Math.max(longest, r.inputIds().length);
            }
            maxLength = longest;
            padding = PaddingStrategy.MAX_LENGTH;
        }
        List<BatchEncoding.Row> out = new ArrayList<>(rows.size());
        for (BatchEncoding.Row r : rows) {
            out.add(padRow(r, padding, maxLength, padToMultipleOf, returnAttentionMask));
        }
        return out;
    }

    /** Python's {@code _pad} for one row. */
    BatchEncoding.Row padRow(BatchEncoding.Row row, PaddingStrategy padding, Integer maxLength,
            Integer padToMultipleOf, boolean returnAttentionMask) {
        long[] ids = row.inputIds();
        if (padding == PaddingStrategy.LONGEST) {
            maxLength = ids.length;
        }
        if (maxLength != null && padToMultipleOf != null && maxLength % padToMultipleOf != 0) {
            maxLength = (maxLength / padToMultipleOf + 1) * padToMultipleOf;
        }
        boolean needs = padding != PaddingStrategy.DO_NOT_PAD && maxLength != null && ids.length != maxLength;
        long[] mask = row.attentionMask();
        if (returnAttentionMask && mask == null) {
            mask = new long[ids.length];
            Arrays.fill(mask, 1);
        }
        if (!returnAttentionMask) {
            mask = null;
        }
        long[] types = row.tokenTypeIds();
        long[] special = row.specialTokensMask();
        int[][] offsets = row.offsets();
        if (needs) {
            int diff = maxLength - ids.length;
            boolean right = paddingSide.equals("right");
            long padId = padTokenId();
            ids = padArray(ids, diff, padId, right);
            if (mask != null) {
                mask = padArray(mask, diff, 0, right);
            }
            if (types != null) {
                types = padArray(types, diff, padTokenTypeId, right);
            }
            if (special != null) {
                special = padArray(special, diff, 1, right);
            }
            if (offsets != null) {
                int[][] o = new int[offsets.length + Math.max(diff, 0)][];
                for (int i = 0; i < o.length; i++) {
                    o[i] = new int[] {0, 0};
                }
                System.arraycopy(offsets, 0, o, right ? 0 : Math.max(diff, 0), offsets.length);
                offsets = o;
            }
        }
        return new BatchEncoding.Row(ids, mask, types, special, offsets, row.overflowingTokens(),
                row.numTruncatedTokens());
    }

    private static long[] padArray(long[] a, int diff, long value, boolean right) {
        if (diff <= 0) {
            // Python pads by list concatenation with a negative count: nothing happens.
            return a;
        }
        long[] out = new long[a.length + diff];
        if (right) {
            System.arraycopy(a, 0, out, 0, a.length);
            Arrays.fill(out, a.length, out.length, value);
        } else {
            Arrays.fill(out, 0, diff, value);
            System.arraycopy(a, 0, out, diff, a.length);
        }
        return out;
    }

    // ------------------------------------------------------------------------------------------------ decode

    public String decode(long[] ids) {
        return decode(ids, false);
    }

    public String decode(long[] ids, boolean skipSpecialTokens) {
        return decode(ids, skipSpecialTokens, null);
    }

    /** Python's {@code decode(ids, skip_special_tokens, clean_up_tokenization_spaces)}. */
    public String decode(long[] ids, boolean skipSpecialTokens, Boolean cleanUpTokenizationSpaces) {
        return decodeImpl(ids, skipSpecialTokens,
                cleanUpTokenizationSpaces != null ? cleanUpTokenizationSpaces : this.cleanUpTokenizationSpaces, true);
    }

    public List<String> batchDecode(long[][] sequences, boolean skipSpecialTokens) {
        return batchDecode(sequences, skipSpecialTokens, null);
    }

    public List<String> batchDecode(long[][] sequences, boolean skipSpecialTokens, Boolean cleanUp) {
        List<String> out = new ArrayList<>(sequences.length);
        for (long[] s : sequences) {
            out.add(decode(s, skipSpecialTokens, cleanUp));
        }
        return out;
    }

    /** Python's slow {@code _decode}. */
    protected String decodeImpl(long[] ids, boolean skipSpecialTokens, boolean cleanUp,
            boolean spacesBetweenSpecialTokens) {
        List<String> filtered = convertIdsToTokens(ids, skipSpecialTokens);
        Set<String> legacyAdded = new HashSet<>(addedTokensEncoder.keySet());
        legacyAdded.removeAll(allSpecialTokens());
        for (AddedToken t : additionalSpecialTokens) {
            if (convertTokensToIds(t.content()) >= vocabSize()) {
                legacyAdded.add(t.content());
            }
        }
        List<String> subTexts = new ArrayList<>();
        List<String> current = new ArrayList<>();
        for (String token : filtered) {
            if (legacyAdded.contains(token)) {
                if (!current.isEmpty()) {
                    String s = convertTokensToString(current);
                    if (!s.isEmpty()) {
                        subTexts.add(s);
                    }
                    current = new ArrayList<>();
                }
                subTexts.add(token);
            } else {
                current.add(token);
            }
        }
        if (!current.isEmpty()) {
            subTexts.add(convertTokensToString(current));
        }
        String text = String.join(spacesBetweenSpecialTokens ? " " : "", subTexts);
        return cleanUp ? cleanUpTokenization(text) : text;
    }

    /** Python's {@code clean_up_tokenization}. */
    public static String cleanUpTokenization(String s) {
        return s.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
                .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve")
                .replace(" 're", "'re");
    }

    // ------------------------------------------------------------------------------------------------ chat templates

    /** The chat template(s) from tokenizer_config.json: a String, a Map of named templates, or null. */
    public Object chatTemplate() {
        return chatTemplate;
    }

    public void setChatTemplate(String template) {
        this.chatTemplate = template;
    }

    /** The class's fallback template when the config has none (Python's {@code default_chat_template}). */
    protected String defaultChatTemplate() {
        return ChatTemplates.CHATML;
    }

    /** Renders the conversation with the tokenizer's chat template (Python's {@code tokenize=False}). */
    public String applyChatTemplate(List<? extends Map<String, ?>> messages, boolean addGenerationPrompt) {
        return ChatTemplates.render(this, messages, ChatTemplates.Options.of(addGenerationPrompt));
    }

    /**
     * Python's {@code apply_chat_template(messages, chat_template, add_generation_prompt, tokenize, **kwargs)}:
     * renders, and with {@code tokenize} encodes the text without adding special tokens.
     */
    public ChatTemplates.Result applyChatTemplate(List<? extends Map<String, ?>> messages,
            ChatTemplates.Options options) {
        String text = ChatTemplates.render(this, messages, options);
        long[] ids = null;
        if (options.tokenize()) {
            EncodeOptions eo = options.encodeOptions().withAddSpecialTokens(false);
            if (eo.padding() == PaddingStrategy.LONGEST) {
                eo = eo.toBuilder().padding(PaddingStrategy.MAX_LENGTH).build();
            }
            ids = encode(text, null, eo);
        }
        return new ChatTemplates.Result(text, ids);
    }

    // ------------------------------------------------------------------------------------------------ settings

    public long modelMaxLength() {
        return modelMaxLength;
    }

    public void setModelMaxLength(long n) {
        modelMaxLength = n;
    }

    public String paddingSide() {
        return paddingSide;
    }

    public void setPaddingSide(String side) {
        checkSide("padding_side", side);
        paddingSide = side;
    }

    public String truncationSide() {
        return truncationSide;
    }

    public void setTruncationSide(String side) {
        checkSide("truncation_side", side);
        truncationSide = side;
    }

    public boolean cleanUpTokenizationSpaces() {
        return cleanUpTokenizationSpaces;
    }

    public List<String> modelInputNames() {
        return modelInputNames;
    }

    /** The Python class this tokenizer mirrors (tokenizer_config.json's tokenizer_class). */
    public String tokenizerClass() {
        return getClass().getSimpleName();
    }

    void warnOnce(String key, String message) {
        if (warnedOnce.add(key)) {
            LOG.warn(message);
        }
    }

    // ------------------------------------------------------------------------------------------------ save

    /**
     * Python's {@code save_pretrained}: tokenizer_config.json, special_tokens_map.json and the model's vocabulary
     * files (and tokenizer.json where the backend has a faithful one), loadable by Python's from_pretrained.
     */
    public List<Path> savePretrained(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        ObjectNode cfg = config.deepCopy();
        cfg.remove(List.of("name_or_path", "tokenizer_file", "vocab_file", "merges_file", "added_tokens_decoder",
                "special_tokens_map_file"));
        ObjectNode decoder = JSON.createObjectNode();
        addedTokensDecoder.forEach((id, t) -> decoder.set(String.valueOf(id), t.toJson(true)));
        cfg.set("added_tokens_decoder", decoder);
        for (String key : SPECIAL_TOKENS_ATTRIBUTES) {
            AddedToken t = specialTokens.get(key);
            if (t != null) {
                cfg.put(key, t.content());
            } else if (cfg.has(key)) {
                cfg.putNull(key);
            }
        }
        if (!additionalSpecialTokens.isEmpty()) {
            ArrayNode a = cfg.putArray("additional_special_tokens");
            additionalSpecialTokens.forEach(t -> a.add(t.content()));
        }
        cfg.put("clean_up_tokenization_spaces", cleanUpTokenizationSpaces);
        if (modelMaxLength >= LARGE_INTEGER) {
            cfg.put("model_max_length", new BigInteger("1000000000000000019884624838656"));
        } else {
            cfg.put("model_max_length", modelMaxLength);
        }
        if (!paddingSide.equals("right") || cfg.has("padding_side")) {
            cfg.put("padding_side", paddingSide);
        }
        if (chatTemplate instanceof String s) {
            cfg.put("chat_template", s);
        } else if (chatTemplate instanceof Map<?, ?> m) {
            ArrayNode a = cfg.putArray("chat_template");
            m.forEach((k, v) -> a.addObject().put("name", k.toString()).put("template", v.toString()));
        }
        cfg.put("tokenizer_class", tokenizerClass());
        written.add(write(dir.resolve("tokenizer_config.json"), cfg));
        ObjectNode map = JSON.createObjectNode();
        specialTokens.forEach((k, t) -> map.set(k, t.toJson(false)));
        if (!additionalSpecialTokens.isEmpty()) {
            ArrayNode a = map.putArray("additional_special_tokens");
            additionalSpecialTokens.forEach(t -> a.add(t.toJson(false)));
        }
        written.add(write(dir.resolve("special_tokens_map.json"), map));
        written.addAll(saveVocabulary(dir));
        return written;
    }

    static Path write(Path p, JsonNode n) throws IOException {
        Files.writeString(p, JSON.writeValueAsString(n) + "\n", StandardCharsets.UTF_8);
        return p;
    }

    /** Writes the model's own files (vocab.txt, vocab.json + merges.txt, the .model, tokenizer.json). */
    protected abstract List<Path> saveVocabulary(Path dir) throws IOException;

    @Override
    public void close() {
    }

    /** Keeps the set of all-special token strings fast to query. */
    Set<String> allSpecialTokenSet() {
        return new LinkedHashSet<>(allSpecialTokens());
    }
}
