package io.transformers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.modeling.AttentionMasks;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.nn.Embedding;
import io.transformers4j.weights.Weights;
import java.util.ArrayList;
import java.util.List;

/**
 * The T5 encoder or decoder: the shared token embeddings (no position embeddings: positions enter through the
 * relative attention bias of the first block), {@code num_layers} {@link T5Block}s and a final RMS layer norm. Port of
 * {@code T5Stack} (models/t5/modeling_t5.py).
 *
 * <p>{@code embed_tokens} is the model's {@code shared} embedding itself, so checkpoints do not store
 * {@code encoder.embed_tokens.weight} / {@code decoder.embed_tokens.weight}: they are declared tied here.
 *
 * <p>Public because LongT5's decoder is this stack unchanged (Python's LongT5Stack runs the same code when
 * {@code is_decoder}); LongT5's encoder has its own stack.
 */
public final class T5Stack {

    private final boolean isDecoder;
    private final Embedding embedTokens;
    private final List<T5Block> block;
    private final T5LayerNorm finalLayerNorm;

    /** The arguments of one stack call (Python's T5Stack.forward keywords). */
    public record Args(NDArray inputIds, NDArray attentionMask, NDArray encoderHiddenStates, NDArray encoderAttentionMask,
            NDArray inputsEmbeds, NDArray headMask, NDArray crossAttnHeadMask, List<NDArray[]> pastKeyValues,
            boolean useCache, boolean outputAttentions, boolean outputHiddenStates) {}

    /**
     * @param w the view of {@code encoder} / {@code decoder}
     * @param shared the model's token embeddings
     * @param numLayers num_layers (encoder) or num_decoder_layers (decoder)
     */
    public T5Stack(T5Config config, Weights w, Embedding shared, boolean isDecoder, int numLayers) {
        this.isDecoder = isDecoder;
        this.embedTokens = new Embedding(w.tie("embed_tokens.weight", shared.weight));
        List<T5Block> blocks = new ArrayList<>();
        for (int i = 0; i < numLayers; i++) {
            // Only the first block owns a relative position bias table; the others reuse its bias.
            blocks.add(new T5Block(config, w.prefix("block", i), isDecoder, i == 0));
        }
        this.block = List.copyOf(blocks);
        this.finalLayerNorm = new T5LayerNorm(w.prefix("final_layer_norm"), config.dModel(), config.layerNormEpsilon());
    }

    public int numLayers() {
        return block.size();
    }

    public BaseModelOutputWithPastAndCrossAttentions forward(Args a) {
        String prefix = isDecoder ? "decoder_" : "";
        NDArray inputIds = a.inputIds();
        NDArray inputsEmbeds = a.inputsEmbeds();
        long batch;
        long seqLength;
        if (inputIds != null && inputsEmbeds != null) {
            throw new IllegalArgumentException("You cannot specify both " + prefix + "input_ids and " + prefix
                    + "inputs_embeds at the same time");
        } else if (inputIds != null) {
            Shape s = inputIds.getShape();
            if (s.dimension() != 2) {
                throw new IllegalArgumentException(prefix + "input_ids must be (batch, seq), got shape " + s);
            }
            batch = s.get(0);
            seqLength = s.get(1);
            inputsEmbeds = embedTokens.forward(inputIds); // (B, T, d_model)
        } else if (inputsEmbeds != null) {
            batch = inputsEmbeds.getShape().get(0);
            seqLength = inputsEmbeds.getShape().get(1);
        } else {
            throw new IllegalArgumentException("You have to specify either " + prefix + "input_ids or " + prefix
                    + "inputs_embeds");
        }
        NDManager m = inputsEmbeds.getManager();
        DataType dtype = inputsEmbeds.getDataType();

        List<NDArray[]> past = a.pastKeyValues();
        if (past != null && past.size() != block.size()) {
            throw new IllegalArgumentException("past_key_values holds " + past.size() + " layers but the "
                    + (isDecoder ? "decoder" : "encoder") + " has " + block.size());
        }
        long maskSeqLength = past != null ? past.get(0)[0].getShape().get(2) + seqLength : seqLength;
        if (a.useCache() && !isDecoder) {
            throw new IllegalArgumentException("`use_cache` can only be set to `True` if the stack is used as a decoder");
        }

        NDArray attentionMask = a.attentionMask();
        if (attentionMask == null) {
            attentionMask = m.ones(new Shape(batch, maskSeqLength), dtype);
        }
        // (B, 1, 1 | T, S) additive; the decoder's is causal too.
        NDArray extendedAttentionMask = AttentionMasks.extendedAttentionMask(attentionMask, seqLength, isDecoder, dtype);

        NDArray encoderHidden = a.encoderHiddenStates();
        NDArray encoderExtendedAttentionMask = null;
        if (isDecoder && encoderHidden != null) {
            NDArray em = a.encoderAttentionMask();
            if (em == null) {
                em = m.ones(new Shape(encoderHidden.getShape().get(0), encoderHidden.getShape().get(1)), DataType.INT64);
            }
            encoderExtendedAttentionMask = AttentionMasks.invertAttentionMask(em, dtype); // (B, 1, 1, S_enc)
        }

        List<NDArray[]> presents = a.useCache() ? new ArrayList<>() : null;
        List<NDArray> allHidden = a.outputHiddenStates() ? new ArrayList<>() : null;
        List<NDArray> allAttentions = a.outputAttentions() ? new ArrayList<>() : null;
        List<NDArray> allCross = a.outputAttentions() && isDecoder ? new ArrayList<>() : null;
        NDArray positionBias = null;
        NDArray encoderDecoderPositionBias = null;

        NDArray hidden = inputsEmbeds; // dropout is the identity at inference
        for (int i = 0; i < block.size(); i++) {
            if (allHidden != null) {
                allHidden.add(hidden);
            }
            T5Block.Result r = block.get(i).forward(hidden, extendedAttentionMask, positionBias, encoderHidden,
                    encoderExtendedAttentionMask, encoderDecoderPositionBias,
                    AttentionMasks.layerHeadMask(a.headMask(), i, block.size()),
                    AttentionMasks.layerHeadMask(a.crossAttnHeadMask(), i, block.size()),
                    past == null ? null : past.get(i), a.useCache(), a.outputAttentions());
            hidden = r.hidden();
            // The first block computed the biases (masks included); every later block reuses them.
            positionBias = r.positionBias();
            if (isDecoder && encoderHidden != null) {
                encoderDecoderPositionBias = r.encoderDecoderPositionBias();
            }
            if (presents != null) {
                presents.add(r.present());
            }
            if (allAttentions != null) {
                allAttentions.add(r.selfWeights());
                if (allCross != null && r.crossWeights() != null) {
                    allCross.add(r.crossWeights());
                }
            }
        }
        hidden = finalLayerNorm.forward(hidden);
        if (allHidden != null) {
            allHidden.add(hidden);
        }
        return new BaseModelOutputWithPastAndCrossAttentions(hidden, presents, allHidden, allAttentions, allCross);
    }
}
