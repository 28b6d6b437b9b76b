package io.transformers4j.models.blenderbot_small;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.modeling.AttentionMasks;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.nn.Embedding;
import io.transformers4j.nn.LayerNorm;
import io.transformers4j.weights.Weights;
import java.util.ArrayList;
import java.util.List;

/**
 * The decoder: token embeddings, a LayerNorm, learned absolute positions (counted from the cache length), then
 * {@code decoder_layers} {@link BlenderbotSmallDecoderLayer}s. Port of {@code BlenderbotSmallDecoder}. Unlike the
 * encoder, the LayerNorm applies to the token embeddings BEFORE the positions are added, as in Python.
 */
final class BlenderbotSmallDecoder {

    final Embedding embedTokens;            // the shared (vocab, d_model), or its own in BlenderbotSmallForCausalLM
    private final Embedding embedPositions; // (max_position_embeddings, d_model), learned
    private final LayerNorm layernormEmbedding;
    final List<BlenderbotSmallDecoderLayer> layers;
    private final float embedScale;
    private final int maxTargetPositions;

    /** @param shared the token embeddings; null to own them ({@code embed_tokens.weight} in the checkpoint) */
    BlenderbotSmallDecoder(BlenderbotSmallConfig config, Weights w, Embedding shared) {
        this.embedTokens = shared != null ? new Embedding(w.tie("embed_tokens.weight", shared.weight))
                : new Embedding(w.prefix("embed_tokens"), config.vocabSize(), config.dModel());
        this.embedPositions = new Embedding(w.prefix("embed_positions"), config.maxPositionEmbeddings(),
                config.dModel());
        this.layernormEmbedding = new LayerNorm(w.prefix("layernorm_embedding"), config.dModel(),
                BlenderbotSmallEncoderLayer.LAYER_NORM_EPS);
        List<BlenderbotSmallDecoderLayer> l = new ArrayList<>();
        for (int i = 0; i < config.decoderLayers(); i++) {
            l.add(new BlenderbotSmallDecoderLayer(config, w.prefix("layers", i)));
        }
        this.layers = List.copyOf(l);
        this.embedScale = config.scaleEmbedding() ? (float) Math.sqrt(config.dModel()) : 1f;
        this.maxTargetPositions = config.maxPositionEmbeddings();
    }

    /**
     * @param attentionMask (B, past + T) of 1/0 over the target tokens, or null (causal only)
     * @param encoderHidden (B, S, E), or null (BlenderbotSmallForCausalLM without cross-attention input)
     * @param encoderAttentionMask (B, S) of 1/0, or null
     * @param past per layer {self k, self v[, cross k, cross v]}, or null
     */
    BaseModelOutputWithPastAndCrossAttentions forward(NDArray inputIds, NDArray attentionMask, NDArray encoderHidden,
            NDArray encoderAttentionMask, NDArray headMask, NDArray crossAttnHeadMask, List<NDArray[]> past,
            NDArray inputsEmbeds, boolean useCache, boolean outputAttentions, boolean outputHiddenStates) {
        if (inputIds != null && inputsEmbeds != null) {
            throw new IllegalArgumentException("You cannot specify both decoder_input_ids and decoder_inputs_embeds "
                    + "at the same time");
        } else if (inputIds == null && inputsEmbeds == null) {
            throw new IllegalArgumentException("You have to specify either decoder_input_ids or decoder_inputs_embeds");
        }
        if (past != null && past.size() != layers.size()) {
            throw new IllegalArgumentException("past_key_values holds " + past.size() + " layers but the decoder has "
                    + layers.size());
        }
        long pastLength = past != null ? past.get(0)[0].getShape().get(2) : 0;
        if (inputsEmbeds == null) {
            inputsEmbeds = embedTokens.forward(inputIds).mul(embedScale); // (B, T, E)
        }
        long batch = inputsEmbeds.getShape().get(0);
        long seqLen = inputsEmbeds.getShape().get(1);
        DataType dtype = inputsEmbeds.getDataType();
        if (pastLength + seqLen > maxTargetPositions) {
            throw new IllegalArgumentException("Decoder positions " + pastLength + ".." + (pastLength + seqLen - 1)
                    + " exceed the model's max_position_embeddings = " + maxTargetPositions);
        }

        NDArray mask = AttentionMasks.prepare4dCausalAttentionMask(inputsEmbeds.getManager(), attentionMask, batch,
                seqLen, pastLength, dtype); // (B, 1, T, past + T)
        NDArray encoderMask = encoderHidden != null && encoderAttentionMask != null
                ? AttentionMasks.prepare4dAttentionMask(encoderAttentionMask, dtype, seqLen) : null;

        NDArray positions = embedPositions.forward(inputsEmbeds.getManager()
                .arange(pastLength, pastLength + seqLen, 1, DataType.INT64)); // (T, E)
        NDArray hidden = layernormEmbedding.forward(inputsEmbeds).add(positions);

        BlenderbotSmallEncoder.checkHeadMask(headMask, "head_mask", layers.size());
        BlenderbotSmallEncoder.checkHeadMask(crossAttnHeadMask, "cross_attn_head_mask", layers.size());
        List<NDArray> allHidden = outputHiddenStates ? new ArrayList<>() : null;
        List<NDArray> allSelf = outputAttentions ? new ArrayList<>() : null;
        List<NDArray> allCross = outputAttentions && encoderHidden != null ? new ArrayList<>() : null;
        List<NDArray[]> nextCache = useCache ? new ArrayList<>() : null;
        for (int i = 0; i < layers.size(); i++) {
            if (allHidden != null) {
                allHidden.add(hidden);
            }
            BlenderbotSmallDecoderLayer.Result r = layers.get(i).forward(hidden, mask, encoderHidden, encoderMask,
                    AttentionMasks.layerHeadMask(headMask, i, layers.size()),
                    AttentionMasks.layerHeadMask(crossAttnHeadMask, i, layers.size()),
                    past == null ? null : past.get(i), outputAttentions);
            hidden = r.hidden();
            if (nextCache != null) {
                nextCache.add(r.present());
            }
            if (allSelf != null) {
                allSelf.add(r.selfAttention());
                if (allCross != null) {
                    allCross.add(r.crossAttention());
                }
            }
        }
        if (allHidden != null) {
            allHidden.add(hidden);
        }
        return new BaseModelOutputWithPastAndCrossAttentions(hidden, nextCache, allHidden, allSelf, allCross);
    }
}
