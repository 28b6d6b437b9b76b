package io.transformers4j.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.transformers4j.auto.ModelRegistry;
import io.transformers4j.evaluation.Perplexity;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.PreTrainedModel;
import java.util.Map;

/**
 * {@code perplexity}: the strided sliding-window recipe ({@link Perplexity}) over the case's input_ids with the case's
 * {@code max_length} and {@code stride}; compares the per-window nlls, ppl, and the windows themselves.
 */
public final class PerplexityRunner implements CaseRunner {

    @Override
    public boolean accepts(FixtureCase c) {
        return c.kind().equals("perplexity");
    }

    @Override
    public void run(FixtureCase c) throws Exception {
        ModelClass<?, ?> cls;
        try {
            cls = ModelRegistry.modelClass(c.architecture());
        } catch (IllegalArgumentException e) {
            throw new CaseSkipped("architecture " + c.architecture() + " not supported yet");
        }
        int maxLength = c.call().path("max_length").asInt();
        int stride = c.call().path("stride").asInt();
        LoadOptions options = LoadOptions.defaults().withDtype("float32").withLocalFilesOnly(true);
        try (PreTrainedModel model = PreTrainedModel.fromPretrained(cls, c.dir().toString(), options);
                NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> inputs = c.inputs(m);
            Map<String, NDArray> expected = c.outputs(m);
            Perplexity.Result r = Perplexity.compute(model, inputs.get("input_ids"), maxLength, stride);
            Map<String, NDArray> actual = Map.of(
                    "nlls", m.create(r.nlls()),
                    "ppl", m.create(r.ppl()),
                    "window_begin", m.create(r.windowBegins()),
                    "window_end", m.create(r.windowEnds()),
                    "trg_len", m.create(r.trgLens()));
            for (String name : c.outputNames()) {
                Tensors.assertClose(name, actual.get(name), expected.get(name), c.atol(), c.rtol());
            }
        }
    }
}
