package io.transformers4j.models.longt5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.models.t5.T5PreTrainedModel;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.util.Set;

/**
 * What every LongT5 model shares. Port of the inference parts of {@code LongT5PreTrainedModel}:
 * {@code base_model_prefix = "transformer"} (the classes keep {@code shared}, {@code encoder}, {@code decoder} at the
 * checkpoint's root) and {@code _shift_right} (T5's).
 */
public abstract class LongT5PreTrainedModel extends PreTrainedModel {

    static final String BASE_MODEL_PREFIX = "transformer";

    private final LongT5Config config;

    protected LongT5PreTrainedModel(LongT5Config config, Weights weights) {
        super(config, weights);
        this.config = config;
    }

    @Override
    public LongT5Config config() {
        return config;
    }

    /** Python's {@code _shift_right}: decoder inputs from labels (decoder_start_token_id first, -100 -> pad). */
    public NDArray shiftRight(NDArray inputIds) {
        return T5PreTrainedModel.shiftRight(inputIds, config.decoderStartTokenId(), config.padTokenId());
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
