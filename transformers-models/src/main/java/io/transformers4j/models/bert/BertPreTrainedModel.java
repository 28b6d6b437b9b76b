package io.transformers4j.models.bert;

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
 * What every BERT model shares. Port of {@code BertPreTrainedModel} (modeling_bert.py): config class
 * {@link BertConfig}, {@code base_model_prefix = "bert"} (a head holds its {@link BertModel} under {@code bert.}, so a
 * bare-model checkpoint loads into any head and the reverse). Python's {@code _init_weights} lives in the layers: each
 * parameter a checkpoint lacks is drawn normal(0, initializer_range) (Linear, Embedding weights) or set to zeros / ones
 * (biases, LayerNorm).
 */
public abstract class BertPreTrainedModel extends PreTrainedModel {

    public static final String BASE_MODEL_PREFIX = "bert";

    /** The forward arguments every BERT model takes (Python names). */
    static final List<String> COMMON_ARGUMENTS = List.of("input_ids", "attention_mask", "token_type_ids",
            "position_ids", "head_mask", "inputs_embeds", "output_attentions", "output_hidden_states");

    private final BertConfig config;

    protected BertPreTrainedModel(BertConfig config, Weights weights) {
        super(config, weights);
        this.config = config;
    }

    @Override
    public BertConfig config() {
        return config;
    }

    @Override
    public abstract ModelOutput forward(ModelInputs inputs);

    static <M extends BertPreTrainedModel> ModelClass<BertConfig, M> modelClass(String name, boolean isHead,
            BiFunction<BertConfig, Weights, M> constructor) {
        return new ModelClass<>(name, BertConfig.class, BASE_MODEL_PREFIX, isHead, constructor);
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

    /** True for int64 / int32 labels: Python's test for class indices ({@code labels.dtype == torch.long or torch.int}). */
    static boolean isIntegral(NDArray labels) {
        DataType t = labels.getDataType();
        return t == DataType.INT64 || t == DataType.INT32;
    }
}
