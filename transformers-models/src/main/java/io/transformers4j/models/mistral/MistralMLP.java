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
    /** Whether act is SiLU, the activation the fused decoding step computes. */
    private final boolean silu;

    MistralMLP(MistralConfig config, Weights w) {
        this.gateProj = new Linear(w.prefix("gate_proj"), config.hiddenSize(), config.intermediateSize(), false);
        this.upProj = new Linear(w.prefix("up_proj"), config.hiddenSize(), config.intermediateSize(), false);
        this.downProj = new Linear(w.prefix("down_proj"), config.intermediateSize(), config.hiddenSize(), false);
        this.actFn = Activations.get(config.hiddenAct());
        this.silu = config.hiddenAct().equals("silu") || config.hiddenAct().equals("swish");
    }

    /** gate, up and down weights where the activation is SiLU (the fused decoding step's), else null. */
    NDArray[] siluWeights() {
        return silu ? new NDArray[] {gateProj.weight, upProj.weight, downProj.weight} : null;
    }

    NDArray forward(NDArray x) {
        // The (tokens, intermediate) temporaries are freed as soon as they are used, as Python frees them: over a
        // long prompt each is several MB. act(gate) is a fresh array, so the product is made in it (same rounding).
        NDArray gate = gateProj.forward(x);
        NDArray hidden = actFn.apply(gate);
        if (hidden != gate) {
            gate.close();
        }
        NDArray up = upProj.forward(x);
        hidden.muli(up);
        up.close();
        NDArray out = downProj.forward(hidden);
        hidden.close();
        return out;
    }
}
