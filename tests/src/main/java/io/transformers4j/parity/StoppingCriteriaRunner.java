package io.transformers4j.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.transformers4j.generation.EosTokenCriteria;
import io.transformers4j.generation.MaxLengthCriteria;
import io.transformers4j.generation.MaxNewTokensCriteria;
import io.transformers4j.generation.MaxTimeCriteria;
import io.transformers4j.generation.StoppingCriteria;
import io.transformers4j.generation.StoppingCriteriaList;
import java.util.Map;

/** {@code stopping-criteria}: one verdict per row, compared with {@code is_done} (I64 0/1). */
public final class StoppingCriteriaRunner implements CaseRunner {

    @Override
    public boolean accepts(FixtureCase c) {
        return c.kind().equals("stopping-criteria");
    }

    @Override
    public void run(FixtureCase c) throws Exception {
        StoppingCriteria criteria = create(c.architecture(), c.call());
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> inputs = c.inputs(m);
            Map<String, NDArray> expected = c.outputs(m);
            NDArray inputIds = inputs.get("input_ids");
            NDArray scores = inputs.get("scores");
            boolean[] done = criteria.isDone(inputIds, scores);
            long[] asLong = new long[done.length];
            for (int i = 0; i < done.length; i++) {
                asLong[i] = done[i] ? 1 : 0;
            }
            NDArray actual = m.create(asLong, new Shape(done.length));
            for (String name : c.outputNames()) {
                Tensors.assertClose(name, actual, expected.get(name), 0, 0);
            }
        }
    }

    static StoppingCriteria create(String name, JsonNode c) {
        switch (name) {
            case "MaxLengthCriteria":
                return new MaxLengthCriteria(c.get("max_length").asInt(),
                        c.hasNonNull("max_position_embeddings") ? c.get("max_position_embeddings").asInt() : null);
            case "MaxNewTokensCriteria":
                return new MaxNewTokensCriteria(c.get("start_length").asInt(), c.get("max_new_tokens").asInt());
            case "MaxTimeCriteria":
                if (c.hasNonNull("initial_timestamp")) {
                    throw new CaseSkipped("MaxTimeCriteria with an absolute initial_timestamp depends on the wall clock "
                            + "of the reference run");
                }
                return new MaxTimeCriteria(ProcessorFactory.d(c.get("max_time")));
            case "EosTokenCriteria":
                return new EosTokenCriteria(ProcessorFactory.ints(c.get("eos_token_id")));
            case "StoppingCriteriaList": {
                StoppingCriteriaList list = new StoppingCriteriaList();
                for (JsonNode p : c.path("criteria")) {
                    list.add(create(p.get(0).asText(), p.get(1)));
                }
                return list;
            }
            case "StopStringCriteria":
                throw new CaseSkipped("StopStringCriteria needs the tokenizer's vocabulary, which a stopping-criteria "
                        + "case does not carry");
            default:
                throw new CaseSkipped("stopping criterion " + name + " is not ported");
        }
    }
}
