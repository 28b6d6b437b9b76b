package io.transformers4j.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.transformers4j.generation.LogitsProcessor;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code logits-processor}: builds the processor named by {@code architecture} from {@code call} (plus the
 * {@code init_tensors}), calls it on {@code input_ids}, {@code scores} and any extra tensor / {@code call_extra}
 * kwargs, and compares the returned scores.
 */
public final class LogitsProcessorRunner implements CaseRunner {

    @Override
    public boolean accepts(FixtureCase c) {
        return c.kind().equals("logits-processor");
    }

    @Override
    public void run(FixtureCase c) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> inputs = c.inputs(m);
            Map<String, NDArray> expected = c.outputs(m);
            Set<String> init = new HashSet<>();
            c.json().path("init_tensors").forEach(n -> init.add(n.asText()));
            LogitsProcessor p = ProcessorFactory.create(c.architecture(), c.call(), inputs);
            List<String> names = c.inputNames();
            NDArray inputIds = inputs.get(names.size() > 0 ? names.get(0) : "input_ids");
            NDArray scores = inputs.get(names.size() > 1 ? names.get(1) : "scores");
            if (inputIds == null || scores == null) {
                throw new IllegalArgumentException("inputs.safetensors must hold input_ids and scores");
            }
            Map<String, Object> kwargs = new LinkedHashMap<>();
            for (int i = 2; i < names.size(); i++) {
                if (!init.contains(names.get(i))) {
                    kwargs.put(names.get(i), inputs.get(names.get(i)));
                }
            }
            JsonNode extra = c.json().path("call_extra");
            extra.fields().forEachRemaining(e -> kwargs.put(e.getKey(), value(e.getValue())));
            NDArray out = p.process(inputIds, scores, kwargs);
            for (String name : c.outputNames()) {
                if (!name.equals("scores")) {
                    throw new CaseSkipped("logits-processor output `" + name + "` is not produced by a processor");
                }
                Tensors.assertClose(name, out, expected.get(name), c.atol(), c.rtol());
            }
        }
    }

    private static Object value(JsonNode n) {
        if (n.isIntegralNumber()) {
            return n.asLong();
        }
        if (n.isNumber()) {
            return n.asDouble();
        }
        if (n.isBoolean()) {
            return n.asBoolean();
        }
        return n.isTextual() ? n.asText() : n;
    }
}
