package io.transformers4j.models.blenderbot_small;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.util.Set;

/**
 * What every BlenderbotSmall model shares. Port of {@code BlenderbotSmallPreTrainedModel}
 * (models/blenderbot_small/modeling_blenderbot_small.py): {@code base_model_prefix = "model"}; weights a checkpoint
 * lacks are drawn normal(0, init_std), biases zero, LayerNorms one/zero.
 */
public abstract class BlenderbotSmallPreTrainedModel extends PreTrainedModel {

    public static final String BASE_MODEL_PREFIX = "model";

    private final BlenderbotSmallConfig config;

    protected BlenderbotSmallPreTrainedModel(BlenderbotSmallConfig config, Weights weights) {
        super(config, weights);
        this.config = config;
    }

    @Override
    public BlenderbotSmallConfig config() {
        return config;
    }

    /**
     * Python's {@code shift_tokens_right} (a copy of BART's): decoder inputs from labels, {@code decoder_start_token_id}
     * first, the last label dropped, -100 replaced by {@code pad_token_id}.
     *
     * @param inputIds (batch, seq) int64
     */
    public static NDArray shiftTokensRight(NDArray inputIds, Integer padTokenId, Integer decoderStartTokenId) {
        if (padTokenId == null) {
            throw new IllegalArgumentException("self.model.config.pad_token_id has to be defined.");
        }
        if (decoderStartTokenId == null) {
            throw new IllegalArgumentException("config.decoder_start_token_id has to be defined to shift labels into "
                    + "decoder inputs.");
        }
        NDArray ids = inputIds.toType(DataType.INT64, false);
        long seq = ids.getShape().get(1);
        NDArray start = ids.get(":, :1").onesLike().mul(decoderStartTokenId.longValue()); // (B, 1)
        NDArray shifted = NDArrays.concat(new NDList(start, ids.get(":, :{}", seq - 1)), 1);
        NDArray pad = shifted.onesLike().mul(padTokenId.longValue());
        return NDArrays.where(shifted.eq(-100), pad, shifted);
    }

    /** Starts a forward: checks the argument names, readies the calling thread, refuses a closed model. */
    void begin(ModelInputs inputs, Set<String> accepted) {
        inputs.requireOnly(getClass().getSimpleName(), accepted);
        Torch.ensureThreadReady();
        checkOpen();
    }

    /** The encoder output given as {@code encoder_outputs}: a BaseModelOutput or its last hidden state. */
    static BaseModelOutput encoderOutputsOf(Object given) {
        if (given instanceof BaseModelOutput b) {
            return b;
        }
        if (given instanceof NDArray a) {
            return new BaseModelOutput(a, null, null);
        }
        throw new IllegalArgumentException("encoder_outputs must be a BaseModelOutput or the encoder's last hidden "
                + "state (an NDArray), got " + given.getClass().getSimpleName());
    }

    /** Lets the tensors of {@code output} outlive the forward's NDScope; they stay in the input's manager. */
    static <O extends ModelOutput> O keep(O output) {
        for (NDArray a : output.toMap().values()) {
            NDScope.unregister(a);
        }
        return output;
    }
}
