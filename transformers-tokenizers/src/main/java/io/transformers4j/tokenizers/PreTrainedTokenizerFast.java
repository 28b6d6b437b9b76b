package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code PreTrainedTokenizerFast} over a checkpoint's own tokenizer.json: normalisation, pre-tokenisation,
 * the model and added tokens run in Rust; the special-token layout follows the file's post_processor
 * (TemplateProcessing, BertProcessing, RobertaProcessing); padding and truncation use the same Java code as the other
 * tokenizers; decoding uses the file's decoder, then Python's clean-up.
 */
public class PreTrainedTokenizerFast extends PreTrainedTokenizer {

    private final HfBackend backend;
    private final Path tokenizerFile;
    private final Map<String, Integer> vocab = new LinkedHashMap<>();
    private final Map<Integer, String> idToToken = new HashMap<>();
    private final String unkFromModel;
    /** The special-token layout, from the post_processor; replaced by subclasses that change it (Whisper). */
    private volatile JsonNode postProcessor;
    private volatile List<Item> singleTemplate;
    private volatile List<Item> pairTemplate;
    /** Whether the backend no longer matches the file (saving then writes the current state). */
    private boolean modified;

    public PreTrainedTokenizerFast(ObjectNode config, Path directory) throws IOException {
        this(config, directory, Map.of(), null);
    }

    /**
     * For subclasses with Python class defaults: {@code defaults} are default special tokens, {@code inputNames} the
     * class's model_input_names (null keeps the base default); both yield to tokenizer_config.json.
     */
    protected PreTrainedTokenizerFast(ObjectNode config, Path directory, Map<String, String> defaults,
            List<String> inputNames) throws IOException {
        super(config, directory);
        tokenizerFile = directory.resolve(config.path("tokenizer_file").asText("tokenizer.json"));
        if (!Files.isRegularFile(tokenizerFile)) {
            throw new NoSuchFileException(tokenizerFile.toString(), null, "No tokenizer.json in " + directory);
        }
        JsonNode json;
        try {
            json = JSON.readTree(tokenizerFile.toFile());
        } catch (IOException e) {
            throw new IOException("Cannot parse " + tokenizerFile + " as JSON: " + e.getMessage(), e);
        }
        if (!(json instanceof ObjectNode root)) {
            throw new IOException(tokenizerFile + " does not hold a JSON object");
        }
        JsonNode model = json.path("model");
        JsonNode v = model.get("vocab");
        if (v != null && v.isObject()) {
            v.fields().forEachRemaining(e -> vocab.put(e.getKey(), e.getValue().asInt()));
        } else if (v != null && v.isArray()) {
            int i = 0;
            for (JsonNode piece : v) {
                vocab.put(piece.get(0).asText(), i++);
            }
        }
        vocab.forEach((t, i) -> idToToken.put(i, t));
        JsonNode unk = model.get("unk_token");
        JsonNode unkId = model.get("unk_id");
        unkFromModel = unk != null && unk.isTextual() ? unk.asText()
                : unkId != null && unkId.isInt() ? idToToken.get(unkId.asInt()) : null;
        setPostProcessorInternal(json.get("post_processor"));
        if (!config.has("added_tokens_decoder")) {
            ObjectNode dec = this.config.putObject("added_tokens_decoder");
            for (JsonNode t : json.path("added_tokens")) {
                ObjectNode o = dec.putObject(t.path("id").asText());
                for (String k : List.of("content", "lstrip", "normalized", "rstrip", "single_word", "special")) {
                    o.set(k, t.get(k));
                }
            }
        }
        modified = adjustBackend(root);
        backend = modified ? HfBackend.fromJson(root) : HfBackend.load(tokenizerFile);
        if (inputNames != null) {
            modelInputNames = List.copyOf(inputNames);
        }
        initTokens(defaults);
    }

    /**
     * Hook run on the parsed tokenizer.json before the Rust tokenizer is built (the instance is not fully constructed
     * yet: use only {@link #config}). Return true after changing {@code json} (it is then loaded instead of the file).
     */
    protected boolean adjustBackend(ObjectNode json) {
        return false;
    }

    @Override
    protected Encoded encodeText(String text) {
        return backend.encode(text);
    }

    @Override
    protected List<Encoded> encodeTexts(List<String> texts) {
        return backend.encodeBatch(texts, true);
    }

    @Override
    protected List<Encoded> encodeTexts(List<String> texts, boolean withOffsets) {
        return backend.encodeBatch(texts, withOffsets);
    }

    @Override
    protected boolean supportsOffsets() {
        return true;
    }

    @Override
    public int vocabSize() {
        return vocab.size();
    }

    @Override
    protected Integer vocabLookup(String token) {
        return vocab.get(token);
    }

    @Override
    protected long convertTokenToIdImpl(String token) {
        Integer id = vocab.get(token);
        if (id != null) {
            return id;
        }
        String unk = unkToken() != null ? unkToken() : unkFromModel;
        return unk == null ? -1 : convertTokensToIds(unk);
    }

    @Override
    protected String convertIdToTokenImpl(long id) {
        return idToToken.get((int) id);
    }

    @Override
    public String convertTokensToString(List<String> tokens) {
        return backend.decode(convertTokensToIds(tokens), false);
    }

    /** Python's fast {@code _decode}: the Rust decoder, then the clean-up. */
    @Override
    protected String decodeImpl(long[] ids, boolean skipSpecialTokens, boolean cleanUp,
            boolean spacesBetweenSpecialTokens) {
        String text = backend.decode(ids, skipSpecialTokens);
        return cleanUp ? cleanUpTokenization(text) : text;
    }

    // ------------------------------------------------------------------------------------------------ truncation

    /**
     * Python's fast tokenizers check the stride when truncation is switched on (Rust's {@code with_truncation}):
     * the stride may not exceed max_length minus the special tokens of a single sequence.
     */
    @Override
    Resolved resolve(EncodeOptions o) {
        Resolved r = super.resolve(o);
        if (r.truncation() != TruncationStrategy.DO_NOT_TRUNCATE && r.maxLength() != null) {
            int added = numSpecialTokensToAdd(false);
            int effective = r.maxLength() - added;
            // (a negative effective length wraps around in Rust's usize and passes)
            if (effective >= 0 && effective < o.stride()) {
                throw new IllegalArgumentException("tokenizer stride set to " + o.stride() + ", which is greater than"
                        + " or equal to its effective max length of " + effective + " (= " + r.maxLength()
                        + " original max length - " + added + " added special tokens), ");
            }
        }
        return r;
    }

    /**
     * Rust's {@code truncate_encodings} (tokenizers 0.15, what Python 4.39's fast tokenizers run) rather than the
     * slow {@code truncate_sequences}. They differ for pairs under longest_first: when both sequences must be cut,
     * Rust gives the first {@code max / 2} tokens and the second the rest (the shorter input the smaller half),
     * where the slow rule gives the extra token to the first sequence; and only_first / only_second fail when the
     * sequence is too short (the slow rule logs and leaves it), as does only_second without a pair.
     */
    @Override
    Truncated truncateSequences(long[] ids, long[] pairIds, int numTokensToRemove, TruncationStrategy strategy,
            int stride) {
        boolean left = truncationSide.equals("left");
        long[] none = new long[0];
        int total = ids.length + (pairIds == null ? 0 : pairIds.length);
        // max_length without the special tokens; Rust subtracts in usize, so a negative one wraps to "no limit"
        int maxLength = total - numTokensToRemove;
        if (numTokensToRemove <= 0 || maxLength < 0) {
            return new Truncated(ids, pairIds, none, left, left);
        }
        if (maxLength == 0) {
            return new Truncated(keep(ids, 0, left), pairIds == null ? null : keep(pairIds, 0, left), none, left,
                    left);
        }
        switch (strategy) {
            case LONGEST_FIRST -> {
                if (pairIds == null) {
                    return new Truncated(keep(ids, maxLength, left), null, overflow(ids, maxLength, stride, left),
                            left, left);
                }
                int n1 = ids.length;
                int n2 = pairIds.length;
                boolean swap = n1 > n2;
                if (swap) {
                    int t = n1;
                    n1 = n2;
                    n2 = t;
                }
                // n1 is the shorter input: it keeps its length if the longer one can make room
                n2 = n1 > maxLength ? n1 : Math.max(n1, maxLength - n1);
                if (n1 + n2 > maxLength) {
                    n1 = maxLength / 2;
                    n2 = n1 + maxLength % 2;
                }
                if (swap) {
                    int t = n1;
                    n1 = n2;
                    n2 = t;
                }
                return new Truncated(keep(ids, n1, left), keep(pairIds, n2, left), none, left, left);
            }
            case ONLY_FIRST, ONLY_SECOND -> {
                boolean first = strategy == TruncationStrategy.ONLY_FIRST;
                long[] target = first ? ids : pairIds;
                if (target == null) {
                    throw new IllegalArgumentException("Truncation error: Second sequence not provided");
                }
                if (target.length <= numTokensToRemove) {
                    throw new IllegalArgumentException("Truncation error: Sequence to truncate too short to respect"
                            + " the provided max_length");
                }
                int n = target.length - numTokensToRemove;
                long[] cut = keep(target, n, left);
                long[] over = overflow(target, n, stride, left);
                return first ? new Truncated(cut, pairIds, over, left, left)
                        : new Truncated(ids, cut, over, left, left);
            }
            default -> {
                return new Truncated(ids, pairIds, none, left, left);
            }
        }
    }

    /** The first (or, truncating on the left, last) {@code n} ids. */
    private static long[] keep(long[] a, int n, boolean left) {
        if (n >= a.length) {
            return a;
        }
        return left ? Arrays.copyOfRange(a, a.length - n, a.length) : Arrays.copyOf(a, n);
    }

    /** The removed ids plus {@code stride} kept ones, as the slow {@code overflowing_tokens} lists them. */
    private static long[] overflow(long[] a, int kept, int stride, boolean left) {
        int removed = a.length - kept;
        if (removed <= 0) {
            return new long[0];
        }
        int window = Math.min(a.length, stride + removed);
        return left ? Arrays.copyOfRange(a, 0, window) : Arrays.copyOfRange(a, a.length - window, a.length);
    }

    // ------------------------------------------------------------------------------------------------ post-processor

    /** One piece of the layout: a sequence (0 = A, 1 = B) or special token ids, with a type id. */
    private record Item(int sequence, long[] ids, int typeId) {
    }

    /** The current post_processor (JSON), as a saved tokenizer.json would hold it. */
    JsonNode postProcessor() {
        return postProcessor;
    }

    /** Replaces the special-token layout (Python: {@code backend_tokenizer.post_processor = ...}). */
    void setPostProcessor(JsonNode pp) {
        setPostProcessorInternal(pp);
        modified = true;
    }

    private void setPostProcessorInternal(JsonNode pp) {
        // Parsed once: the layout is applied to every encoded row.
        singleTemplate = parseTemplate(pp, false);
        pairTemplate = parseTemplate(pp, true);
        postProcessor = pp;
    }

    private static List<Item> parseTemplate(JsonNode pp, boolean pair) {
        if (pp != null && "Sequence".equals(pp.path("type").asText())) {
            JsonNode chosen = null;
            for (JsonNode p : pp.path("processors")) {
                String t = p.path("type").asText();
                if (t.equals("TemplateProcessing") || t.equals("BertProcessing") || t.equals("RobertaProcessing")) {
                    chosen = p;
                }
            }
            pp = chosen;
        }
        List<Item> items = new ArrayList<>();
        if (pp == null || pp.isNull()) {
            items.add(new Item(0, null, 0));
            if (pair) {
                items.add(new Item(1, null, 1));
            }
            return items;
        }
        String type = pp.path("type").asText();
        switch (type) {
            case "TemplateProcessing" -> {
                for (JsonNode it : pp.path(pair ? "pair" : "single")) {
                    if (it.has("Sequence")) {
                        JsonNode s = it.get("Sequence");
                        items.add(new Item(s.path("id").asText().equals("A") ? 0 : 1, null, s.path("type_id").asInt()));
                    } else if (it.has("SpecialToken")) {
                        JsonNode s = it.get("SpecialToken");
                        JsonNode st = pp.path("special_tokens").path(s.path("id").asText());
                        List<Long> ids = new ArrayList<>();
                        st.path("ids").forEach(n -> ids.add(n.asLong()));
                        items.add(new Item(-1, ids.stream().mapToLong(Long::longValue).toArray(),
                                s.path("type_id").asInt()));
                    }
                }
            }
            case "BertProcessing", "RobertaProcessing" -> {
                long cls = pp.path("cls").get(1).asLong();
                long sep = pp.path("sep").get(1).asLong();
                boolean roberta = type.equals("RobertaProcessing");
                items.add(new Item(-1, new long[] {cls}, 0));
                items.add(new Item(0, null, 0));
                items.add(new Item(-1, new long[] {sep}, 0));
                if (pair) {
                    int t = roberta ? 0 : 1;
                    if (roberta) {
                        items.add(new Item(-1, new long[] {sep}, t));
                    }
                    items.add(new Item(1, null, t));
                    items.add(new Item(-1, new long[] {sep}, t));
                }
            }
            default -> {
                items.add(new Item(0, null, 0));
                if (pair) {
                    items.add(new Item(1, null, 1));
                }
            }
        }
        return List.copyOf(items);
    }

    /** Lays the template out: {@code what} 0 = ids, 1 = token type ids, 2 = special tokens mask. */
    private long[] layout(long[] ids0, long[] ids1, int what) {
        List<Item> template = ids1 == null ? singleTemplate : pairTemplate;
        int n = 0;
        for (Item it : template) {
            long[] src = it.sequence == 0 ? ids0 : it.sequence == 1 ? ids1 : it.ids;
            n += src == null ? 0 : src.length;
        }
        long[] out = new long[n];
        int at = 0;
        for (Item it : template) {
            long[] src = it.sequence == 0 ? ids0 : it.sequence == 1 ? ids1 : it.ids;
            if (src == null) {
                continue;
            }
            if (what == 0) {
                System.arraycopy(src, 0, out, at, src.length);
            } else {
                Arrays.fill(out, at, at + src.length, what == 1 ? it.typeId : (it.sequence < 0 ? 1L : 0L));
            }
            at += src.length;
        }
        return out;
    }

    @Override
    public long[] buildInputsWithSpecialTokens(long[] ids0, long[] ids1) {
        return layout(ids0, ids1, 0);
    }

    @Override
    public long[] createTokenTypeIdsFromSequences(long[] ids0, long[] ids1) {
        return layout(ids0, ids1, 1);
    }

    @Override
    public long[] getSpecialTokensMask(long[] ids0, long[] ids1) {
        return layout(ids0, ids1, 2);
    }

    @Override
    protected List<Path> saveVocabulary(Path dir) throws IOException {
        Path out = dir.resolve("tokenizer.json");
        if (modified) {
            // Python saves its backend as it is now (e.g. Whisper's post-processor after set_prefix_tokens).
            JsonNode json = JSON.readTree(tokenizerFile.toFile());
            ObjectNode root = (ObjectNode) json;
            adjustBackend(root);
            root.set("post_processor", postProcessor);
            write(out, root);
        } else if (!out.toAbsolutePath().normalize().equals(tokenizerFile.toAbsolutePath().normalize())) {
            // Through a stream, as Python's shutil.copyfile: a new file gets the umask's permissions, where
            // Files.copy(Path, Path) would copy the source's mode (owner-only for a file a writer left 0600).
            try (InputStream in = Files.newInputStream(tokenizerFile)) {
                Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return List.of(out);
    }

    @Override
    public String tokenizerClass() {
        String c = config.path("tokenizer_class").asText("");
        return c.isEmpty() ? "PreTrainedTokenizerFast" : c;
    }

    @Override
    public void close() {
        backend.close();
    }
}
