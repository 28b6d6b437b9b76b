package io.transformers4j.parity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import io.transformers4j.generation.Constraint;
import io.transformers4j.generation.ConstraintListState;
import io.transformers4j.generation.DisjunctiveConstraint;
import io.transformers4j.generation.PhrasalConstraint;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code constraint}: feeds {@code token_ids} one by one. Single constraints record advance() (sorted, -1 padded)
 * before each update(token) and (stepped, completed, reset, remaining) after; a ConstraintListState records
 * advance(), add(token) -> (complete, stepped), get_bank() and completed.
 */
public final class ConstraintRunner implements CaseRunner {

    @Override
    public boolean accepts(FixtureCase c) {
        return c.kind().equals("constraint");
    }

    @Override
    public void run(FixtureCase c) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            long[] tokens = c.inputs(m).get("token_ids").toType(DataType.INT64, false).toLongArray();
            Map<String, NDArray> expected = c.outputs(m);
            Map<String, long[]> series = new LinkedHashMap<>();
            List<List<Integer>> advances = new ArrayList<>();
            int n = tokens.length;
            if (c.architecture().equals("ConstraintListState")) {
                List<Constraint> cons = new ArrayList<>();
                for (JsonNode spec : c.call().path("constraints")) {
                    cons.add(constraint(spec.get(0).asText(), spec.get(1)));
                }
                ConstraintListState state = new ConstraintListState(cons);
                state.initState();
                long[] complete = new long[n];
                long[] stepped = new long[n];
                long[] bank = new long[n];
                long[] completed = new long[n];
                for (int i = 0; i < n; i++) {
                    advances.add(state.advance());
                    ConstraintListState.AddResult r = state.add((int) tokens[i]);
                    complete[i] = r.complete() ? 1 : 0;
                    stepped[i] = r.stepped() ? 1 : 0;
                    bank[i] = state.getBank();
                    completed[i] = state.completed() ? 1 : 0;
                }
                series.put("add_complete", complete);
                series.put("add_stepped", stepped);
                series.put("bank", bank);
                series.put("completed", completed);
            } else {
                Constraint con = constraint(c.architecture(), c.call());
                long[] stepped = new long[n];
                long[] completed = new long[n];
                long[] reset = new long[n];
                long[] remaining = new long[n];
                for (int i = 0; i < n; i++) {
                    advances.add(con.advance());
                    Constraint.UpdateResult r = con.update((int) tokens[i]);
                    stepped[i] = r.stepped() ? 1 : 0;
                    completed[i] = r.completed() ? 1 : 0;
                    reset[i] = r.reset() ? 1 : 0;
                    remaining[i] = con.remaining();
                }
                series.put("stepped", stepped);
                series.put("completed", completed);
                series.put("reset", reset);
                series.put("remaining", remaining);
            }
            Map<String, NDArray> actual = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : series.entrySet()) {
                actual.put(e.getKey(), m.create(e.getValue(), new Shape(n)));
            }
            actual.put("advance_before", padded(m, advances, expected.get("advance_before")));
            for (String name : c.outputNames()) {
                NDArray a = actual.get(name);
                if (a == null) {
                    throw new CaseSkipped("constraint output `" + name + "` is not recorded by this runner");
                }
                Tensors.assertClose(name, a, expected.get(name), 0, 0);
            }
        }
    }

    private static NDArray padded(NDManager m, List<List<Integer>> advances, NDArray expected) {
        int width = 0;
        for (List<Integer> a : advances) {
            width = Math.max(width, a == null ? 0 : a.size());
        }
        if (expected != null && expected.getShape().dimension() == 2) {
            width = Math.max(width, (int) expected.getShape().get(1));
        }
        long[] out = new long[advances.size() * width];
        java.util.Arrays.fill(out, -1);
        for (int i = 0; i < advances.size(); i++) {
            List<Integer> a = advances.get(i) == null ? new ArrayList<>() : new ArrayList<>(advances.get(i));
            Collections.sort(a);
            for (int j = 0; j < a.size(); j++) {
                out[i * width + j] = a.get(j);
            }
        }
        return m.create(out, new Shape(advances.size(), width));
    }

    private static Constraint constraint(String name, JsonNode kwargs) {
        switch (name) {
            case "PhrasalConstraint":
                return new PhrasalConstraint(ProcessorFactory.ints(kwargs.get("token_ids")));
            case "DisjunctiveConstraint":
                return new DisjunctiveConstraint(ProcessorFactory.nested(kwargs.get("nested_token_ids")));
            default:
                throw new CaseSkipped("constraint " + name + " is not ported");
        }
    }
}
