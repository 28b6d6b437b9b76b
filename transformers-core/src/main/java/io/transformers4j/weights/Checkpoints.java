package io.transformers4j.weights;

import ai.djl.ndarray.NDArray;
import io.transformers4j.hub.ModelFiles;
import io.transformers4j.torch.TorchOps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Finds and opens a model's weights in Python's order of preference, and writes them back. */
public final class Checkpoints {
    private Checkpoints() {}

    public static final String SAFE_WEIGHTS_NAME = "model.safetensors";
    public static final String SAFE_WEIGHTS_INDEX_NAME = "model.safetensors.index.json";
    public static final String WEIGHTS_NAME = "pytorch_model.bin";
    public static final String WEIGHTS_INDEX_NAME = "pytorch_model.bin.index.json";

    /** Python's test for a shard file name (without extension), as save_pretrained uses it to clean up. */
    private static final Pattern SHARD_NAME = Pattern.compile("(.*?)-\\d{5}-of-\\d{5}");

    /**
     * Opens the weights of a model: {@code model.safetensors}, else {@code model.safetensors.index.json} (shards),
     * else {@code pytorch_model.bin}, else {@code pytorch_model.bin.index.json}, the order of Python's
     * {@code from_pretrained}. Fails with an IOException listing what was looked for, and where, when none exists.
     */
    public static TensorSource open(ModelFiles files) throws IOException {
        Optional<Path> f = files.file(SAFE_WEIGHTS_NAME);
        if (f.isPresent()) {
            return SafetensorsFile.open(f.get());
        }
        f = files.file(SAFE_WEIGHTS_INDEX_NAME);
        if (f.isPresent()) {
            return ShardedTensorSource.open(f.get(), files::file, SafetensorsFile::open);
        }
        f = files.file(WEIGHTS_NAME);
        if (f.isPresent()) {
            return PickleTensorSource.open(f.get());
        }
        f = files.file(WEIGHTS_INDEX_NAME);
        if (f.isPresent()) {
            return ShardedTensorSource.open(f.get(), files::file, PickleTensorSource::open);
        }
        throw new NoSuchFileException(files.describe(), null, "no model weights found in " + files.describe()
                + ": looked for " + SAFE_WEIGHTS_NAME + ", " + SAFE_WEIGHTS_INDEX_NAME + ", " + WEIGHTS_NAME + " and "
                + WEIGHTS_INDEX_NAME + " (TensorFlow and Flax weights are not supported)");
    }

    /**
     * Writes {@code tensors} as {@code model.safetensors} into {@code dir} with {@code {"format": "pt"}} metadata, or,
     * when they exceed {@code maxShardBytes}, as {@code model-0000i-of-0000n.safetensors} shards plus
     * {@code model.safetensors.index.json}, the layout of Python's {@code save_pretrained}: shards are cut greedily in
     * state-dict order, each tensor whole (a tensor larger than the limit gets a shard of its own), and the index
     * ({@code metadata.total_size}, {@code weight_map}) is written as {@code json.dumps(indent=2, sort_keys=True)}.
     *
     * <p>Shard files of a previous save that this one does not overwrite are removed, as Python does; so is a stale
     * {@code model.safetensors} when saving shards, and a stale index when saving one file (Python leaves those, but
     * then {@link #open} would read the old weights). Every file is written under a temporary name and moved into
     * place only once all are written, so a failure leaves no partial files and the previous save intact.
     */
    public static void save(Path dir, Map<String, NDArray> tensors, long maxShardBytes) throws IOException {
        if (maxShardBytes <= 0) {
            throw new IllegalArgumentException("maxShardBytes must be positive, got " + maxShardBytes);
        }
        List<Map<String, NDArray>> shards = planShards(tensors, maxShardBytes);
        Map<String, Map<String, NDArray>> files = new LinkedHashMap<>();
        if (shards.size() == 1) {
            files.put(SAFE_WEIGHTS_NAME, shards.get(0));
        } else {
            for (int i = 0; i < shards.size(); i++) {
                files.put(String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size()), shards.get(i));
            }
        }
        Files.createDirectories(dir);
        Map<Path, Path> staged = new LinkedHashMap<>(); // temporary file -> final name
        try {
            for (Map.Entry<String, Map<String, NDArray>> f : files.entrySet()) {
                Path tmp = AtomicFiles.createTempFile(dir, "." + f.getKey(), ".tmp");
                staged.put(tmp, dir.resolve(f.getKey()));
                SafetensorsWriter.writeTemp(tmp, f.getValue(), Map.of("format", "pt"));
            }
            if (shards.size() > 1) {
                Path tmp = AtomicFiles.createTempFile(dir, "." + SAFE_WEIGHTS_INDEX_NAME, ".tmp");
                staged.put(tmp, dir.resolve(SAFE_WEIGHTS_INDEX_NAME));
                Files.write(tmp, indexJson(files).getBytes(StandardCharsets.UTF_8));
            }
            for (Map.Entry<Path, Path> s : staged.entrySet()) {
                AtomicFiles.moveIntoPlace(s.getKey(), s.getValue());
            }
        } finally {
            for (Path tmp : staged.keySet()) {
                Files.deleteIfExists(tmp);
            }
        }
        removeStale(dir, files.keySet(), shards.size() > 1);
    }

    /** Python's shard_checkpoint: a new shard when the next tensor would tip the current one over the limit. */
    static List<Map<String, NDArray>> planShards(Map<String, NDArray> tensors, long maxShardBytes) {
        List<Map<String, NDArray>> shards = new ArrayList<>();
        shards.add(new LinkedHashMap<>());
        long current = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            long bytes = byteSize(e.getValue());
            if (current + bytes > maxShardBytes && !shards.get(shards.size() - 1).isEmpty()) {
                shards.add(new LinkedHashMap<>());
                current = 0;
            }
            shards.get(shards.size() - 1).put(e.getKey(), e.getValue());
            current += bytes;
        }
        return shards;
    }

    /**
     * The tensor's size in the file. (Python's dtype_byte_size counts a bool as 1/8 byte when sizing shards; we
     * count the byte safetensors actually stores, which only matters for bool-heavy checkpoints.)
     */
    private static long byteSize(NDArray a) {
        return a.getShape().size() * TorchOps.dtypeOf(a).byteSize();
    }

    /** {@code json.dumps({"metadata": {"total_size": N}, "weight_map": {...}}, indent=2, sort_keys=True) + "\n"}. */
    static String indexJson(Map<String, Map<String, NDArray>> files) {
        long total = 0;
        Map<String, String> weightMap = new TreeMap<>(); // sort_keys: Python sorts str by code point, as does String
        for (Map.Entry<String, Map<String, NDArray>> f : files.entrySet()) {
            for (Map.Entry<String, NDArray> t : f.getValue().entrySet()) {
                weightMap.put(t.getKey(), f.getKey());
                total += byteSize(t.getValue());
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("{\n  \"metadata\": {\n    \"total_size\": ").append(total).append("\n  },\n  \"weight_map\": {");
        boolean first = true;
        for (Map.Entry<String, String> e : weightMap.entrySet()) {
            b.append(first ? "\n" : ",\n").append("    ").append(pyJsonString(e.getKey())).append(": ")
                    .append(pyJsonString(e.getValue()));
            first = false;
        }
        b.append(first ? "}\n}\n" : "\n  }\n}\n");
        return b.toString();
    }

    /** A JSON string as Python's json.dumps writes it (ensure_ascii: everything beyond ASCII as \\uXXXX). */
    private static String pyJsonString(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': b.append("\\\""); break;
                case '\\': b.append("\\\\"); break;
                case '\n': b.append("\\n"); break;
                case '\r': b.append("\\r"); break;
                case '\t': b.append("\\t"); break;
                case '\b': b.append("\\b"); break;
                case '\f': b.append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
            }
        }
        return b.append('"').toString();
    }

    /** save_pretrained's clean-up of a previous save, plus the single file / index that would shadow this one. */
    private static void removeStale(Path dir, Set<String> written, boolean sharded) throws IOException {
        List<Path> stale = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (written.contains(name) || !Files.isRegularFile(p)) {
                    continue;
                }
                String noSuffix = name.replace(".bin", "").replace(".safetensors", "");
                boolean oldShard = name.startsWith("model") && SHARD_NAME.matcher(noSuffix).matches();
                boolean shadowing = sharded ? name.equals(SAFE_WEIGHTS_NAME) : name.equals(SAFE_WEIGHTS_INDEX_NAME);
                if (oldShard || shadowing) {
                    stale.add(p);
                }
            }
        }
        for (Path p : stale) {
            Files.deleteIfExists(p);
        }
    }
}
