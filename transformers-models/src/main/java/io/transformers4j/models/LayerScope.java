package io.transformers4j.models;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.ArrayList;
import java.util.List;

/**
 * An {@link NDScope} around one decoder layer: Python frees a layer's temporaries as soon as the layer returns, and a
 * forward with one scope for everything holds every layer's until it ends (for a 512-token prompt through 8 layers,
 * hundreds of MB at the peak instead of one layer's worth). What the layer hands on ({@link #keep}) leaves this scope
 * and joins the enclosing one when this closes, so it is still freed with the forward unless the forward returns it.
 *
 * <pre>{@code
 * try (LayerScope scope = new LayerScope()) {
 *     r = layer.forward(hiddenStates, ...);
 *     scope.keep(r.output(), r.weights());
 * }
 * }</pre>
 */
public final class LayerScope implements AutoCloseable {
    private final NDScope scope = new NDScope();
    private final List<NDArray> kept = new ArrayList<>();

    /** Arrays (nulls ignored) that outlive the layer: its output, attention weights asked for, new cache entries. */
    public void keep(NDArray... arrays) {
        for (NDArray a : arrays) {
            if (a != null) {
                NDScope.unregister(a);
                kept.add(a);
            }
        }
    }

    /** As {@link #keep(NDArray...)} for a legacy cache layer's {key, value} (null: nothing to keep). */
    public void keepCache(LegacyCache cache, int layerIdx) {
        NDArray[] kv = cache == null ? null : cache.layerArrays(layerIdx);
        if (kv != null) {
            keep(kv);
        }
    }

    /**
     * Frees the hidden states a layer consumed once its output has replaced them, as Python frees them when it rebinds
     * {@code hidden_states}: in the forward's scope each layer's output would otherwise live until the forward ends,
     * one (batch, seq, hidden) per layer (88 MB at the peak of a 512-token float32 prefill through 22 layers of
     * hidden 2048). Nothing is freed that the caller still holds: its own {@code inputs_embeds}, or hidden states
     * collected for {@code output_hidden_states}.
     *
     * @param consumed the layer's (or the final norm's) input
     * @param replacement what replaces it
     * @param callerEmbeds the {@code inputs_embeds} the caller passed (null if the model embedded the ids itself)
     * @param collected whether the hidden states are being collected for output_hidden_states
     */
    public static void freeConsumed(NDArray consumed, NDArray replacement, NDArray callerEmbeds, boolean collected) {
        if (!collected && consumed != replacement && consumed != callerEmbeds) {
            consumed.close();
        }
    }

    @Override
    public void close() {
        scope.close();
        for (NDArray a : kept) {
            NDScope.register(a); // now in the enclosing scope (the forward's), if any
        }
    }
}
