package io.transformers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.weights.Weights;

/**
 * What every T5 model shares. Port of the inference parts of {@code T5PreTrainedModel}: {@code _shift_right}, and
 * {@code base_model_prefix = "transformer"} (only T5ForSequenceClassification nests its model under it; the other
 * classes keep {@code shared}, {@code encoder}, {@code decoder} at the root).
 */
public abstract class T5PreTrainedModel extends PreTrainedModel {

    /** Python's base_model_prefix. */
    static final String BASE_MODEL_PREFIX = "transformer";

    protected T5PreTrainedModel(T5Config config, Weights weights) {
        super(config, weights);
    }

    @Override
    public abstract T5Config config();

    /**
     * Python's {@code _shift_right}: decoder inputs from labels, {@code decoder_start_token_id} first, the last label
     * dropped, and -100 (ignored label) replaced by {@code pad_token_id}.
     *
     * @param inputIds (batch, seq) int64
     */
    public NDArray shiftRight(NDArray inputIds) {
        return shiftRight(inputIds, config().decoderStartTokenId(), config().padTokenId());
    }

    /** {@link #shiftRight(NDArray)} with explicit ids (LongT5 shares it: Python's {@code # Copied from}). */
    public static NDArray shiftRight(NDArray inputIds, Integer decoderStartTokenId, Integer padTokenId) {
        if (decoderStartTokenId == null) {
            throw new IllegalArgumentException("self.model.config.decoder_start_token_id has to be defined. In T5 it is "
                    + "usually set to the pad_token_id. See T5 docs for more information.");
        }
        if (padTokenId == null) {
            throw new IllegalArgumentException("self.model.config.pad_token_id has to be defined.");
        }
        NDArray ids = inputIds.toType(DataType.INT64, false);
        long seq = ids.getShape().get(ids.getShape().dimension() - 1);
        NDArray start = ids.get("..., :1").onesLike().mul(decoderStartTokenId.longValue()); // (B, 1)
        NDArray shifted = NDArrays.concat(new NDList(start, ids.get("..., :{}", seq - 1)), ids.getShape().dimension() - 1);
        NDArray pad = shifted.onesLike().mul(padTokenId.longValue());
        return NDArrays.where(shifted.eq(-100), pad, shifted);
    }

    /** The encoder output given as {@code encoder_outputs}: a BaseModelOutput or its last hidden state. */
    static NDArray encoderHiddenOf(Object encoderOutputs) {
        if (encoderOutputs instanceof BaseModelOutput b) {
            return b.lastHiddenState();
        }
        if (encoderOutputs instanceof NDArray a) {
            return a;
        }
        throw new IllegalArgumentException("encoder_outputs must be a BaseModelOutput or the encoder's last hidden "
                + "state (an NDArray), got " + encoderOutputs.getClass().getSimpleName());
    }

    /** Takes every tensor of {@code out} out of the current NDScope, so it outlives the forward that made it. */
    static <T extends ModelOutput> T keep(T out) {
        for (NDArray a : out.toMap().values()) {
            NDScope.unregister(a);
        }
        return out;
    }
}
