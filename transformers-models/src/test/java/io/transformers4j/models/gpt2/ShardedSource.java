package io.transformers4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.weights.DType;
import io.transformers4j.weights.SafetensorsFile;
import io.transformers4j.weights.TensorInfo;
import io.transformers4j.weights.TensorSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Test-only reader of {@code model.safetensors.index.json} shards (the weight_map from key to shard file). */
final class ShardedSource implements TensorSource {

    private final Path index;
    private final Map<String, SafetensorsFile> byKey = new LinkedHashMap<>();
    private final Map<String, SafetensorsFile> files = new LinkedHashMap<>();

    private ShardedSource(Path index) {
        this.index = index;
    }

    static ShardedSource open(Path index) throws IOException {
        ShardedSource s = new ShardedSource(index);
        try {
            JsonNode map = PretrainedConfig.MAPPER.readTree(index.toFile()).get("weight_map");
            for (var it = map.fields(); it.hasNext(); ) {
                var e = it.next();
                String shard = e.getValue().asText();
                SafetensorsFile f = s.files.get(shard);
                if (f == null) {
                    f = SafetensorsFile.open(index.resolveSibling(shard));
                    s.files.put(shard, f);
                }
                s.byKey.put(e.getKey(), f);
            }
            return s;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    @Override public Set<String> keys() { return Collections.unmodifiableSet(byKey.keySet()); }
    @Override public TensorInfo info(String key) { return file(key).info(key); }
    @Override public NDArray load(String key, NDManager manager, DType dtype) throws IOException {
        return file(key).load(key, manager, dtype);
    }
    @Override public Map<String, String> metadata() { return Map.of(); }
    @Override public String describe() { return index.toString(); }

    private SafetensorsFile file(String key) {
        SafetensorsFile f = byKey.get(key);
        if (f == null) {
            throw new IllegalArgumentException("No tensor " + key + " in " + index);
        }
        return f;
    }

    @Override
    public void close() throws IOException {
        for (SafetensorsFile f : files.values()) {
            f.close();
        }
    }
}
