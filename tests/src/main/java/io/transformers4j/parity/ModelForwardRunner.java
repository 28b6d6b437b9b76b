package io.transformers4j.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.transformers4j.auto.ModelRegistry;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code model-forward}: loads the case's checkpoint into the class named by {@code architecture} (float32, as the
 * reference computed), calls forward with the case's inputs and call kwargs, compares every named output. Two-step
 * cases feed the first call's past_key_values into the second.
 */
public final class ModelForwardRunner implements CaseRunner {

    @Override
    public boolean accepts(FixtureCase c) {
        return c.kind().equals("model-forward");
    }

    @Override
    public void run(FixtureCase c) throws Exception {
        ModelClass<?, ?> cls;
        try {
            cls = ModelRegistry.modelClass(c.architecture());
        } catch (IllegalArgumentException e) {
            throw new CaseSkipped("architecture " + c.architecture() + " not supported yet");
        }
        LoadOptions options = LoadOptions.defaults().withDtype("float32").withLocalFilesOnly(true);
        try (PreTrainedModel model = PreTrainedModel.fromPretrained(cls, c.dir().toString(), options);
                NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> inputs = c.inputs(m);
            Map<String, NDArray> expected = c.outputs(m);
            Map<String, NDArray> actual = new LinkedHashMap<>();
            JsonNode twoStep = c.json().get("two_step");
            if (twoStep != null) {
                ModelOutput first = model.forward(inputsFor(twoStep.get("first"), inputs, null));
                JsonNode firstOut = twoStep.get("first").path("outputs");
                firstOut.fields().forEachRemaining(f -> actual.put(f.getValue().asText(), first.toMap().get(f.getKey())));
                ModelOutput second = model.forward(inputsFor(twoStep.get("second"), inputs, first.pastKeyValues()));
                JsonNode secondOut = twoStep.get("second").path("outputs");
                secondOut.fields().forEachRemaining(f -> actual.put(f.getValue().asText(), second.toMap().get(f.getKey())));
            } else {
                ModelInputs.Builder b = ModelInputs.builder();
                for (String name : c.inputNames()) {
                    b.set(name, inputs.get(name));
                }
                addCall(b, c.call());
                actual.putAll(model.forward(b.build()).toMap());
            }
            for (String name : c.outputNames()) {
                Tensors.assertClose(name, actual.get(name), expected.get(name), c.atol(), c.rtol());
            }
        }
    }

    private static ModelInputs inputsFor(JsonNode step, Map<String, NDArray> tensors, Object past) {
        ModelInputs.Builder b = ModelInputs.builder();
        step.path("inputs").fields().forEachRemaining(f -> b.set(f.getKey(), tensors.get(f.getValue().asText())));
        addCall(b, step.path("call"));
        if (past != null) {
            b.set("past_key_values", past);
        }
        return b.build();
    }

    /** Python call kwargs: booleans and numbers pass through; return_dict is how Python shapes outputs, not ours. */
    static void addCall(ModelInputs.Builder b, JsonNode call) {
        for (Iterator<Map.Entry<String, JsonNode>> it = call.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals("return_dict")) {
                continue;
            }
            JsonNode v = f.getValue();
            if (v.isBoolean()) {
                b.set(f.getKey(), v.asBoolean());
            } else if (v.isIntegralNumber()) {
                b.set(f.getKey(), v.asLong());
            } else if (v.isNumber()) {
                b.set(f.getKey(), v.asDouble());
            } else if (v.isTextual()) {
                b.set(f.getKey(), v.asText());
            } else if (!v.isNull()) {
                b.set(f.getKey(), v);
            }
        }
    }
}
