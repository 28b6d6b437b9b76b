package io.transformers4j.models.t5;

import ai.djl.ndarray.NDArray;
import io.transformers4j.nn.Activations;
import io.transformers4j.nn.Linear;
import io.transformers4j.weights.Weights;
import java.util.function.UnaryOperator;

/**
 * T5's feed-forward sub-layer: pre-norm, a dense-activation-dense MLP, residual. Port of {@code T5LayerFF} with
 * {@code T5DenseActDense} (original T5: wi -> act -> wo) and {@code T5DenseGatedActDense} (T5 v1.1: act(wi_0) * wi_1
 * -> wo). No biases anywhere, as in Mesh TensorFlow. LongT5 uses the same layer (Python: {@code # Copied from}).
 */
public final class T5LayerFF {

    private final UnaryOperator<NDArray> denseReluDense;
    private final T5LayerNorm layerNorm;

    /**
     * @param w the view of {@code block.<i>.layer.<last>}
     * @param gated {@code config.is_gated_act}
     * @param act {@code config.dense_act_fn}
     */
    public T5LayerFF(Weights w, long dModel, long dFf, boolean gated, String act, double eps) {
        Weights d = w.prefix("DenseReluDense");
        this.denseReluDense = gated ? new DenseGatedActDense(d, dModel, dFf, act) : new DenseActDense(d, dModel, dFf, act);
        this.layerNorm = new T5LayerNorm(w.prefix("layer_norm"), dModel, eps);
    }

    public NDArray forward(NDArray hidden) {
        NDArray forwarded = denseReluDense.apply(layerNorm.forward(hidden));
        return hidden.add(forwarded);
    }

    /** {@code T5DenseActDense}: wo(act(wi(x))). */
    private static final class DenseActDense implements UnaryOperator<NDArray> {
        private final Linear wi; // (d_ff, d_model)
        private final Linear wo; // (d_model, d_ff)
        private final UnaryOperator<NDArray> act;

        DenseActDense(Weights w, long dModel, long dFf, String act) {
            this.wi = new Linear(w.prefix("wi"), dModel, dFf, false);
            this.wo = new Linear(w.prefix("wo"), dFf, dModel, false);
            this.act = Activations.get(act);
        }

        @Override
        public NDArray apply(NDArray x) {
            NDArray h = act.apply(wi.forward(x));
            return wo.forward(toWeightType(h, wo));
        }
    }

    /** {@code T5DenseGatedActDense}: wo(act(wi_0(x)) * wi_1(x)). */
    private static final class DenseGatedActDense implements UnaryOperator<NDArray> {
        private final Linear wi0; // (d_ff, d_model)
        private final Linear wi1; // (d_ff, d_model)
        private final Linear wo;  // (d_model, d_ff)
        private final UnaryOperator<NDArray> act;

        DenseGatedActDense(Weights w, long dModel, long dFf, String act) {
            this.wi0 = new Linear(w.prefix("wi_0"), dModel, dFf, false);
            this.wi1 = new Linear(w.prefix("wi_1"), dModel, dFf, false);
            this.wo = new Linear(w.prefix("wo"), dFf, dModel, false);
            this.act = Activations.get(act);
        }

        @Override
        public NDArray apply(NDArray x) {
            NDArray h = act.apply(wi0.forward(x)).mul(wi1.forward(x));
            return wo.forward(toWeightType(h, wo));
        }
    }

    /** Python keeps {@code wo} in float32 for 8-bit / half models and casts the activation to it. */
    private static NDArray toWeightType(NDArray h, Linear wo) {
        return h.getDataType() == wo.weight.getDataType() ? h : h.toType(wo.weight.getDataType(), false);
    }
}
