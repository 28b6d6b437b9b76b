package io.transformers4j.models.blenderbot_small;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.modeling.AttentionMasks;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.nn.Embedding;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.weights.Weights;
import java.util.ArrayList;
import java.util.List;

/**
 * The encoder: token embeddings (times sqrt(d_model) with scale_embedding) plus learned absolute positions, a
 * LayerNorm, then {@code encoder_layers} {@link BlenderbotSmallEncoderLayer}s. Port of {@code BlenderbotSmallEncoder}.
 * {@code embed_tokens} is the model's shared embedding, so checkpoints do not store it.
 */
final class BlenderbotSmallEncoder {

    private final Embedding embedTokens;    // the shared (vocab, d_model)
    private final Embedding embedPositions; // (max_position_embeddings, d_model), learned
    private final LayerNorm layernormEmbedding;
    private final List<BlenderbotSmallEncoderLayer> layers;
    private final float embedScale;
    private final int maxSourcePositions;

    /** @param shared the token embeddings; null to own them ({@code embed_tokens.weight} in the checkpoint) */
    BlenderbotSmallEncoder(BlenderbotSmallConfig config, Weights w, Embedding shared) {
        this.embedTokens = shared != null ? new Embedding(w.tie("embed_tokens.weight", shared.weight))
                : new Embedding(w.prefix("embed_tokens"), config.vocabSize(), config.dModel());
        this.embedPositions = new Embedding(w.prefix("embed_positions"), config.maxPositionEmbeddings(),
                config.dModel());
        this.layernormEmbedding = new LayerNorm(w.prefix("layernorm_embedding"), config.dModel(),
                BlenderbotSmallEncoderLayer.LAYER_NORM_EPS);
        List<BlenderbotSmallEncoderLayer> l = new ArrayList<>();
        for (int i = 0; i < config.encoderLayers(); i++) {
            l.add(new BlenderbotSmallEncoderLayer(config, w.prefix("layers", i)));
        }
        this.layers = List.copyOf(l);
        this.embedScale = config.scaleEmbedding() ? (float) Math.sqrt(config.dModel()) : 1f;
        this.maxSourcePositions = config.maxPositionEmbeddings();
    }

    BaseModelOutput forward(NDArray inputIds, NDArray attentionMask, NDArray headMask, NDArray inputsEmbeds,
            boolean outputAttentions, boolean outputHiddenStates) {
        if (inputIds != null && inputsEmbeds != null) {
            throw new IllegalArgumentException("You cannot specify both input_ids and inputs_embeds at the same time");
        } else if (inputIds == null && inputsEmbeds == null) {
            throw new IllegalArgumentException("You have to specify either input_ids or inputs_embeds");
        }
        if (inputsEmbeds == null) {
            inputsEmbeds = embedTokens.forward(inputIds).mul(embedScale); // (B, T, E)
        }
        long seqLen = inputsEmbeds.getShape().get(1);
        if (seqLen > maxSourcePositions) {
            throw new IllegalArgumentException("Input of " + seqLen + " tokens is longer than the model's "
                    + "max_position_embeddings = " + maxSourcePositions);
        }
        NDArray positions = inputsEmbeds.getManager().arange(0, seqLen, 1, DataType.INT64);
        NDArray hidden = layernormEmbedding.forward(inputsEmbeds.add(embedPositions.forward(positions)));

        NDArray mask = attentionMask == null ? null
                : AttentionMasks.prepare4dAttentionMask(attentionMask, inputsEmbeds.getDataType(), seqLen);
        checkHeadMask(headMask, "head_mask", layers.size());

        List<NDArray> states = outputHiddenStates ? new ArrayList<>() : null;
        List<NDArray> attentions = outputAttentions ? new ArrayList<>() : null;
        for (int i = 0; i < layers.size(); i++) {
            if (states != null) {
                states.add(hidden);
            }
            BlenderbotSmallEncoderLayer.Result r = layers.get(i).forward(hidden, mask,
                    AttentionMasks.layerHeadMask(headMask, i, layers.size()), outputAttentions);
            hidden = r.hidden();
            if (attentions != null) {
                attentions.add(r.attention());
            }
        }
        if (states != null) {
            states.add(hidden);
        }
        return new BaseModelOutput(hidden, states, attentions);
    }

    /** Python checks the first dimension only: one row of head weights per layer. */
    static void checkHeadMask(NDArray headMask, String name, int numLayers) {
        if (headMask != null && (headMask.getShape().dimension() != 2 || headMask.getShape().get(0) != numLayers)) {
            throw new IllegalArgumentException("The `" + name + "` should be specified for " + numLayers
                    + " layers (shape (layers, heads)), but it has shape " + headMask.getShape());
        }
    }
}
