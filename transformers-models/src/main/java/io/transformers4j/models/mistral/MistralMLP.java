package io.transformers4j.models.mistral;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Activations;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;
import java.util.function.UnaryOperator;

/** Port of {@code MistralMLP}: {@code down_proj(act(gate_proj(x)) * up_proj(x))}. */
final class MistralMLP {
    private final Linear gateProj; // (intermediate, hidden)
    private final Linear upProj;   // (intermediate, hidden)
    private final Linear downProj; // (hidden, intermediate)
    private final UnaryOperator<NDArray> actFn;

    MistralMLP(MistralConfig config, Weights w) {
        this.gateProj = new Linear(w.prefix("gate_proj"), config.hiddenSize(), config.intermediateSize(), false);
        this.upProj = new Linear(w.prefix("up_proj"), config.hiddenSize(), config.intermediateSize(), false);
        this.downProj = new Linear(w.prefix("down_proj"), config.intermediateSize(), config.hiddenSize(), false);
        this.actFn = Activations.get(config.hiddenAct());
    }

    NDArray forward(NDArray x) {
        return downProj.forward(actFn.apply(gateProj.forward(x)).mul(upProj.forward(x)));
    }
}
