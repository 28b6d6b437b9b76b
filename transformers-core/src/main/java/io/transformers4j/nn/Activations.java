package io.transformers4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import io.transformers4j.torch.TorchOps;
import java.util.List;
import java.util.function.UnaryOperator;

/** Python's {@code ACT2FN} table (activations.py): activation functions by their config name. */
public final class Activations {
    private Activations() {}

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    /** The names {@link #get} accepts. */
    public static final List<String> NAMES = List.of("gelu", "gelu_new", "gelu_fast", "gelu_pytorch_tanh", "quick_gelu",
            "relu", "relu2", "relu6", "sigmoid", "silu", "swish", "tanh", "linear", "mish", "gelu_python");

    /** The activation {@code name} (hidden_act / activation_function of a config). */
    public static UnaryOperator<NDArray> get(String name) {
        switch (name) {
            case "gelu":
            case "gelu_python":
                return Activation::gelu; // exact erf form, like torch.nn.functional.gelu
            case "gelu_new":
            case "gelu_pytorch_tanh":
            case "gelu_fast":
                return Activations::geluTanh;
            case "quick_gelu":
                return x -> x.mul(Activation.sigmoid(x.mul(1.702f)));
            case "relu":
                return Activation::relu;
            case "relu2":
                return x -> { NDArray r = Activation.relu(x); return r.mul(r); };
            case "relu6":
                return Activation::relu6;
            case "sigmoid":
                return Activation::sigmoid;
            case "silu":
            case "swish":
                return Activations::silu;
            case "tanh":
                return Activation::tanh;
            case "mish":
                return Activation::mish;
            case "linear":
                return x -> x;
            default:
                throw new IllegalArgumentException("function " + name + " not found in ACT2FN mapping " + NAMES);
        }
    }

    /** 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): GPT-2's gelu_new. */
    public static NDArray geluTanh(NDArray x) {
        NDArray inner = x.pow(3).muli(0.044715f).addi(x).muli((float) SQRT_2_OVER_PI);
        return x.mul(0.5f).muli(inner.tanh().addi(1f));
    }

    /**
     * x * sigmoid(x), as torch's own {@code silu} kernel (Python's ACT2FN["silu"] is nn.SiLU): one native call, and
     * for half types the product is rounded once, from float32, as Python's is (x * sigmoid(x) in bfloat16 rounds the
     * sigmoid first).
     */
    public static NDArray silu(NDArray x) {
        return TorchOps.silu(x);
    }
}
