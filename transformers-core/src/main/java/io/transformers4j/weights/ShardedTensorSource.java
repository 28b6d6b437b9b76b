package io.transformers4j.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A checkpoint split into shards by {@code save_pretrained}: an index ({@code model.safetensors.index.json} or
 * {@code pytorch_model.bin.index.json}, {@code {"metadata": {"total_size": N}, "weight_map": {key: file}}}) and the
 * shard files it names.
 *
 * <p>Opening checks that the index is well-formed and that every shard file exists (Python's
 * {@code get_checkpoint_shard_files} does the same), so an incomplete download fails at once, naming the index and
 * the missing shard. Shards themselves are opened on first use; when one opens, every key the index assigns to it
 * must be in it.
 */
public final class ShardedTensorSource implements TensorSource {

    /** Opens one shard file. */
    @FunctionalInterface
    public interface ShardOpener {
        TensorSource open(Path shard) throws IOException;
    }

    /** Finds a shard file by the name the index gives it; empty when it does not exist. */
    @FunctionalInterface
    public interface ShardResolver {
        Optional<Path> resolve(String filename) throws IOException;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path index;
    private final Map<String, String> weightMap;
    private final Map<String, Path> shardPaths;
    private final ShardOpener opener;
    private final Map<String, String> metadata;
    private final Map<String, TensorSource> opened = new LinkedHashMap<>();
    private boolean closed;

    private ShardedTensorSource(Path index, Map<String, String> weightMap, Map<String, Path> shardPaths,
            ShardOpener opener, Map<String, String> metadata) {
        this.index = index;
        this.weightMap = weightMap;
        this.shardPaths = shardPaths;
        this.opener = opener;
        this.metadata = metadata;
    }

    /**
     * Opens a local index; the shards are the files beside it, read as safetensors for
     * {@code *.safetensors.index.json} and as {@code torch.save} archives otherwise.
     */
    public static ShardedTensorSource open(Path indexFile) throws IOException {
        Path dir = indexFile.toAbsolutePath().getParent();
        ShardResolver beside = name -> {
            Path p = dir.resolve(name).normalize();
            if (!p.startsWith(dir)) {
                throw new IOException("Checkpoint index " + indexFile + " names shard '" + name
                        + "', which lies outside its folder");
            }
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        };
        return open(indexFile, beside, openerFor(indexFile));
    }

    /** The shard reader an index's name implies. */
    static ShardOpener openerFor(Path indexFile) {
        return indexFile.getFileName().toString().endsWith(".safetensors.index.json")
                ? SafetensorsFile::open : PickleTensorSource::open;
    }

    /** Opens an index whose shards are found by {@code resolver} (e.g. a hub cache) and read by {@code opener}. */
    public static ShardedTensorSource open(Path indexFile, ShardResolver resolver, ShardOpener opener)
            throws IOException {
        byte[] json;
        try {
            json = Files.readAllBytes(indexFile);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(indexFile.toString(), null, "checkpoint index not found");
        }
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new IOException("Corrupt checkpoint index " + indexFile + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        if (root == null || !root.isObject() || !root.path("weight_map").isObject()) {
            throw new IOException("Corrupt checkpoint index " + indexFile + ": expected a JSON object with a "
                    + "\"weight_map\" object ({\"tensor name\": \"shard file\"})");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.get("weight_map").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isTextual() || e.getValue().asText().isEmpty()) {
                throw new IOException("Corrupt checkpoint index " + indexFile + ": weight_map[\"" + e.getKey()
                        + "\"] is " + e.getValue() + ", expected a shard file name");
            }
            weightMap.put(e.getKey(), e.getValue().asText());
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        root.path("metadata").fields().forEachRemaining(m ->
                metadata.put(m.getKey(), m.getValue().isTextual() ? m.getValue().asText() : m.getValue().toString()));

        // Python: shard_filenames = sorted(set(index["weight_map"].values())), each one required.
        Map<String, Path> shardPaths = new LinkedHashMap<>();
        for (String shard : new java.util.TreeSet<>(weightMap.values())) {
            Optional<Path> p;
            try {
                p = resolver.resolve(shard);
            } catch (IllegalArgumentException e) {
                throw new IOException("Checkpoint index " + indexFile + " names shard '" + shard + "': "
                        + e.getMessage(), e);
            }
            if (p.isEmpty()) {
                String someKey = weightMap.entrySet().stream().filter(e -> e.getValue().equals(shard))
                        .map(Map.Entry::getKey).findFirst().orElse("?");
                throw new NoSuchFileException(shard, indexFile.toString(), "checkpoint index " + indexFile
                        + " needs shard " + shard + " (holding '" + someKey + "', ...), which is missing from "
                        + indexFile.toAbsolutePath().getParent() + ": the checkpoint is incomplete; download or "
                        + "save it again");
            }
            shardPaths.put(shard, p.get());
        }
        return new ShardedTensorSource(indexFile, Collections.unmodifiableMap(weightMap), shardPaths, opener,
                Collections.unmodifiableMap(metadata));
    }

    /** Every tensor name, in the index's order. */
    @Override
    public Set<String> keys() {
        return weightMap.keySet();
    }

    /** Opens the tensor's shard if needed; an unreadable shard surfaces as an {@link UncheckedIOException}. */
    @Override
    public TensorInfo info(String key) {
        try {
            return shardOf(key).info(key);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    @Override
    public NDArray load(String key, NDManager manager, DType dtype) throws IOException {
        return shardOf(key).load(key, manager, dtype);
    }

    /** The index's {@code metadata} ({@code total_size}, ...), values as strings. */
    @Override
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public String describe() {
        return index.toString();
    }

    /** The shard file names, sorted, as Python lists them. */
    public List<String> shardFiles() {
        return new ArrayList<>(shardPaths.keySet());
    }

    private synchronized TensorSource shardOf(String key) throws IOException {
        if (closed) {
            throw new IllegalStateException("Checkpoint " + index + " is closed");
        }
        String shard = weightMap.get(key);
        if (shard == null) {
            throw new IllegalArgumentException("No tensor '" + key + "' in " + index);
        }
        TensorSource s = opened.get(shard);
        if (s != null) {
            return s;
        }
        s = opener.open(shardPaths.get(shard));
        try {
            Set<String> present = s.keys();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                if (e.getValue().equals(shard) && !present.contains(e.getKey())) {
                    throw new IOException("Corrupt checkpoint " + index + ": the index puts '" + e.getKey()
                            + "' in shard " + shard + ", but " + shardPaths.get(shard) + " has no such tensor");
                }
            }
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        opened.put(shard, s);
        return s;
    }

    /** Closes every shard opened so far. Idempotent. */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException first = null;
        for (TensorSource s : opened.values()) {
            try {
                s.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        opened.clear();
        if (first != null) {
            throw first;
        }
    }
}
