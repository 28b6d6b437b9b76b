package io.transformers4j.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import io.transformers4j.auto.ModelRegistry;
import io.transformers4j.generation.GenerateArgs;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.GenerationConfig;
import io.transformers4j.generation.GenerationModel;
import io.transformers4j.generation.SinkCache;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.PreTrainedModel;
import java.util.Iterator;
import java.util.Map;

/**
 * {@code generate}: loads the case's checkpoint into the class named by {@code architecture} (float32), passes every
 * tensor of inputs.safetensors as the generate() keyword of its name and case.json's {@code call} as overrides of the
 * folder's generation_config.json, then compares each named output: sequences and beam_indices exactly, scores,
 * logits and sequences_scores within the case's tolerance (equal infinities are equal). A {@code cache} of type
 * {@code sink} becomes a fresh {@link SinkCache} passed as {@code past_key_values}.
 *
 * <p>Sampling cases ({@code do_sample} true) are compared by their deterministic parts only, since our random stream
 * is not torch's: the prompt part of {@code sequences} (and their row count), and the first step's {@code scores.0} /
 * {@code logits.0}, which depend on the prompt alone.
 */
public final class GenerateRunner implements CaseRunner {

    @Override
    public boolean accepts(FixtureCase c) {
        return c.kind().equals("generate");
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
            if (!(model instanceof GenerationModel gm)) {
                throw new CaseSkipped("architecture " + c.architecture() + " does not implement generate() yet");
            }
            GenerationConfig config = GenerationConfig.fromPretrained(c.dir());
            GenerateArgs.Builder args = GenerateArgs.builder().generationConfig(config);
            Map<String, NDArray> inputs = c.inputs(m);
            for (String name : c.inputNames()) {
                args.set(name, inputs.get(name));
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = c.call().fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (!f.getValue().isNull()) {
                    args.set(f.getKey(), f.getValue());
                }
            }
            JsonNode cache = c.json().get("cache");
            SinkCache sink = null;
            if (cache != null && cache.path("type").asText().equals("sink")) {
                sink = new SinkCache(cache.get("window_length").asInt(), cache.get("num_sink_tokens").asInt(), m);
                args.pastKeyValues(sink);
            }
            long seed = c.json().path("seed").asLong(0);
            args.seed(seed);
            boolean sampling = c.call().has("do_sample") ? c.call().get("do_sample").asBoolean()
                    : config.doSample();
            try (GenerateOutput out = gm.generate(args.build())) {
                Map<String, NDArray> actual = out.toMap();
                Map<String, NDArray> expectedOutputs = c.outputs(m);
                for (String name : c.outputNames()) {
                    NDArray expected = expectedOutputs.get(name);
                    if (!sampling) {
                        Tensors.assertClose(name, actual.get(name), expected, c.atol(), c.rtol());
                    } else if (name.equals("sequences")) {
                        assertSamePrefix(actual.get(name), expected, promptLength(gm, inputs));
                    } else if (name.equals("scores.0") || name.equals("logits.0")) {
                        Tensors.assertClose(name, actual.get(name), expected, c.atol(), c.rtol());
                    }
                }
            } finally {
                if (sink != null) {
                    sink.close();
                }
            }
        }
    }

    /** Columns of {@code sequences} fixed before the first draw: the prompt (decoder-only) or the start token. */
    private static long promptLength(GenerationModel model, Map<String, NDArray> inputs) {
        if (model.isEncoderDecoder()) {
            NDArray decoderIds = inputs.get("decoder_input_ids");
            return decoderIds == null ? 1 : decoderIds.getShape().get(1);
        }
        NDArray ids = inputs.get("input_ids");
        return ids == null ? 0 : ids.getShape().get(1);
    }

    private static void assertSamePrefix(NDArray actual, NDArray expected, long columns) {
        if (actual == null) {
            throw new AssertionError("sequences: the port produced no such output");
        }
        if (actual.getShape().get(0) != expected.getShape().get(0)) {
            throw new AssertionError("sequences: " + actual.getShape().get(0) + " rows but expected "
                    + expected.getShape().get(0));
        }
        String cols = ":, :" + Math.min(columns, expected.getShape().get(1));
        Tensors.assertClose("sequences (prompt part)", actual.get(cols), expected.get(cols), 0, 0);
    }
}
