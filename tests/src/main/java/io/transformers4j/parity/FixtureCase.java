package io.transformers4j.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.transformers4j.weights.SafetensorsFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** One reference case: a folder with case.json and the files it names (tests/fixtures/FORMAT.md). */
public final class FixtureCase {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final ObjectNode json;

    private FixtureCase(Path dir, ObjectNode json) {
        this.dir = dir;
        this.json = json;
    }

    public static FixtureCase load(Path dir) throws IOException {
        JsonNode n = JSON.readTree(dir.resolve("case.json").toFile());
        if (!(n instanceof ObjectNode o)) {
            throw new IOException(dir.resolve("case.json") + " is not a JSON object");
        }
        return new FixtureCase(dir, o);
    }

    /** Every folder under {@code root} (at any depth) that holds a case.json, sorted by path. */
    public static List<Path> discover(Path root) throws IOException {
        if (Files.isRegularFile(root.resolve("case.json"))) {
            return List.of(root);
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileName().toString().equals("case.json"))
                    .map(Path::getParent).sorted().toList();
        }
    }

    public Path dir() { return dir; }
    public ObjectNode json() { return json; }
    public String id() { return json.path("id").asText(dir.getFileName().toString()); }
    public String kind() { return json.path("kind").asText(""); }
    public String architecture() { return json.path("architecture").asText(""); }
    public String modelType() { return json.path("model_type").asText(""); }
    public double atol() { return json.path("atol").asDouble(1e-4); }
    public double rtol() { return json.path("rtol").asDouble(1e-4); }
    public ObjectNode call() { return json.has("call") && json.get("call").isObject() ? (ObjectNode) json.get("call") : JSON.createObjectNode(); }

    public List<String> inputNames() { return names("inputs"); }
    public List<String> outputNames() { return names("outputs"); }

    private List<String> names(String key) {
        List<String> out = new ArrayList<>();
        json.path(key).path("names").forEach(n -> out.add(n.asText()));
        return out;
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    /** The tensors of inputs.safetensors, in their stored dtype, by name. */
    public Map<String, NDArray> inputs(NDManager manager) throws IOException {
        return tensors(json.path("inputs").path("file").asText("inputs.safetensors"), manager);
    }

    /** The tensors of outputs.safetensors, by name. */
    public Map<String, NDArray> outputs(NDManager manager) throws IOException {
        return tensors(json.path("outputs").path("file").asText("outputs.safetensors"), manager);
    }

    private Map<String, NDArray> tensors(String fileName, NDManager manager) throws IOException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        Path f = dir.resolve(fileName);
        if (!Files.exists(f)) {
            return out;
        }
        try (SafetensorsFile s = SafetensorsFile.open(f)) {
            for (String k : s.keys()) {
                // Copy out of the mapping: the case's tensors are small and outlive the file handle.
                NDArray mapped = s.load(k, manager, null);
                NDArray copy = mapped.duplicate();
                mapped.close();
                out.put(k, copy);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return id();
    }
}
