package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.ModelOutput;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * What every NEZHA model shares. Port of {@code NezhaPreTrainedModel} (models/nezha/modeling_nezha.py):
 * {@code base_model_prefix = "nezha"}, so a bare-model checkpoint loads into any head and the reverse. Parameters a
 * checkpoint lacks are drawn normal(0, initializer_range) (Linear and Embedding weights) or set to zeros / ones
 * (biases, LayerNorm), as Python's {@code _init_weights}.
 */
public abstract class NezhaPreTrainedModel extends PreTrainedModel {

    public static final String BASE_MODEL_PREFIX = "nezha";

    /** The forward arguments every NEZHA model takes (Python names; there are no position_ids). */
    static final List<String> COMMON_ARGUMENTS = List.of("input_ids", "attention_mask", "token_type_ids",
            "head_mask", "inputs_embeds", "output_attentions", "output_hidden_states");

    private final NezhaConfig config;

    protected NezhaPreTrainedModel(NezhaConfig config, Weights weights) {
        super(config, weights);
        this.config = config;
    }

    @Override
    public NezhaConfig config() {
        return config;
    }

    static <M extends NezhaPreTrainedModel> ModelClass<NezhaConfig, M> modelClass(String name, boolean isHead,
            BiFunction<NezhaConfig, Weights, M> constructor) {
        return new ModelClass<>(name, NezhaConfig.class, BASE_MODEL_PREFIX, isHead, constructor);
    }

    /** The common arguments plus {@code extra}. */
    static Set<String> arguments(String... extra) {
        Set<String> s = new LinkedHashSet<>(COMMON_ARGUMENTS);
        s.addAll(Arrays.asList(extra));
        return Set.copyOf(s);
    }

    /** Positional convenience: input_ids, then optional attention_mask and token_type_ids (nulls are left out). */
    static ModelInputs inputs(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).tokenTypeIds(tokenTypeIds).build();
    }

    /** Starts a forward: checks the argument names, readies the calling thread, refuses a closed model. */
    void begin(ModelInputs inputs, Set<String> accepted) {
        inputs.requireOnly(getClass().getSimpleName(), accepted);
        Torch.ensureThreadReady();
        checkOpen();
    }

    /** Lets the tensors of {@code output} outlive the forward's NDScope; they stay in the input's manager. */
    static <O extends ModelOutput> O keep(O output) {
        for (NDArray a : output.toMap().values()) {
            NDScope.unregister(a);
        }
        return output;
    }

    /** True for int64 / int32 labels: Python's test for class indices. */
    static boolean isIntegral(NDArray labels) {
        DataType t = labels.getDataType();
        return t == DataType.INT64 || t == DataType.INT32;
    }
}
