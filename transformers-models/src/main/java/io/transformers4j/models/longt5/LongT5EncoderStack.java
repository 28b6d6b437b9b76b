package io.transformers4j.models.longt5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.modeling.AttentionMasks;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.models.t5.T5LayerNorm;
import io.transformers4j.nn.Embedding;
import io.transformers4j.weights.Weights;
import java.util.ArrayList;
import java.util.List;

/**
 * LongT5's encoder: the shared token embeddings, {@code num_layers} {@link LongT5EncoderBlock}s and a final RMS layer
 * norm. Port of {@code LongT5Stack} when not {@code is_decoder} (the decoder is T5's stack). {@code embed_tokens} is
 * the model's shared embedding, so checkpoints do not store {@code encoder.embed_tokens.weight}.
 */
final class LongT5EncoderStack {

    private final LongT5Config config;
    private final Embedding embedTokens;
    private final List<LongT5EncoderBlock> block;
    private final T5LayerNorm finalLayerNorm;

    LongT5EncoderStack(LongT5Config config, Weights w, Embedding shared) {
        this.config = config;
        this.embedTokens = new Embedding(w.tie("embed_tokens.weight", shared.weight));
        List<LongT5EncoderBlock> blocks = new ArrayList<>();
        for (int i = 0; i < config.numLayers(); i++) {
            blocks.add(new LongT5EncoderBlock(config, w.prefix("block", i), i == 0));
        }
        this.block = List.copyOf(blocks);
        this.finalLayerNorm = new T5LayerNorm(w.prefix("final_layer_norm"), config.dModel(),
                config.layerNormEpsilon());
    }

    BaseModelOutput forward(NDArray inputIds, NDArray attentionMask, NDArray inputsEmbeds, NDArray headMask,
            boolean outputAttentions, boolean outputHiddenStates) {
        if (inputIds != null && inputsEmbeds != null) {
            throw new IllegalArgumentException("You cannot specify both input_ids and inputs_embeds at the same time");
        } else if (inputIds == null && inputsEmbeds == null) {
            throw new IllegalArgumentException("You have to specify either input_ids or inputs_embeds");
        }
        if (inputIds != null && inputIds.getShape().dimension() != 2) {
            throw new IllegalArgumentException("input_ids must be (batch, seq), got shape " + inputIds.getShape());
        }
        if (inputsEmbeds == null) {
            inputsEmbeds = embedTokens.forward(inputIds); // (B, S, d_model)
        }
        long batch = inputsEmbeds.getShape().get(0);
        long seqLength = inputsEmbeds.getShape().get(1);
        if (attentionMask == null) {
            attentionMask = inputsEmbeds.getManager().ones(new Shape(batch, seqLength));
        }
        // local: the block mask is built once for all layers; transient-global layers need the raw mask as well
        NDArray mask = LongT5Config.LOCAL.equals(config.encoderAttentionType())
                ? LongT5Blocks.localAttentionMask(attentionMask, config.blockLen()) : attentionMask;

        List<NDArray> allHidden = outputHiddenStates ? new ArrayList<>() : null;
        List<NDArray> allAttentions = outputAttentions ? new ArrayList<>() : null;
        NDArray positionBias = null;
        NDArray hidden = inputsEmbeds; // dropout is the identity at inference
        for (int i = 0; i < block.size(); i++) {
            if (allHidden != null) {
                allHidden.add(hidden);
            }
            LongT5LocalAttention.Result r = block.get(i).forward(hidden, mask, positionBias,
                    AttentionMasks.layerHeadMask(headMask, i, block.size()), outputAttentions);
            hidden = r.output();
            positionBias = r.positionBias(); // computed by the first block, reused by the others
            if (allAttentions != null) {
                allAttentions.add(r.weights());
            }
        }
        hidden = finalLayerNorm.forward(hidden);
        if (allHidden != null) {
            allHidden.add(hidden);
        }
        return new BaseModelOutput(hidden, allHidden, allAttentions);
    }
}
