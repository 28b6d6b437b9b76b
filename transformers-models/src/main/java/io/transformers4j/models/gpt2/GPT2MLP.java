package io.transformers4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Activations;
import io.transformers4j.nn.Conv1D;
import io.transformers4j.weights.Weights;
import java.util.function.UnaryOperator;

/**
 * The feed-forward half of a GPT-2 block: c_proj(act(c_fc(x))). Port of {@code GPT2MLP}. Both projections are
 * Conv1Ds with (in, out) weights, as in {@link GPT2Attention}.
 */
final class GPT2MLP {

    private final Conv1D cFc;   // weight (hidden, inner)
    private final Conv1D cProj; // weight (inner, hidden)
    private final UnaryOperator<NDArray> act;

    GPT2MLP(GPT2Config config, Weights w, long intermediateSize) {
        long embedDim = config.hiddenSize();
        this.cFc = new Conv1D(w.prefix("c_fc"), embedDim, intermediateSize);
        this.cProj = new Conv1D(w.prefix("c_proj"), intermediateSize, embedDim);
        this.act = Activations.get(config.activationFunction()); // ACT2FN[config.activation_function]
    }

    /** (B, T, E) -> (B, T, E). */
    NDArray forward(NDArray hidden) {
        return cProj.forward(act.apply(cFc.forward(hidden)));
    }
}
