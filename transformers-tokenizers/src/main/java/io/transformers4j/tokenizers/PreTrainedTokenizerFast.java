package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
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
        return backend.encodeBatch(texts);
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
            Files.copy(tokenizerFile, out, StandardCopyOption.REPLACE_EXISTING);
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
