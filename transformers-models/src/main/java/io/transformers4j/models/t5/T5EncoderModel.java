package io.transformers4j.models.t5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.nn.Embedding;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * T5's encoder alone, outputting its raw hidden states (sentence embeddings, text encoders of diffusion models). Port
 * of {@code T5EncoderModel} (models/t5/modeling_t5.py). It loads from a full T5 checkpoint: the decoder's tensors are
 * ignored, as in Python.
 */
public class T5EncoderModel extends T5PreTrainedModel {

    public static final ModelClass<T5Config, T5EncoderModel> CLASS =
            new ModelClass<>("T5EncoderModel", T5Config.class, BASE_MODEL_PREFIX, false, T5EncoderModel::new);

    static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "head_mask", "inputs_embeds",
            "output_attentions", "output_hidden_states");

    private final T5Config config;
    private final Embedding shared; // (vocab, d_model)
    private final T5Stack encoder;

    public T5EncoderModel(T5Config config, Weights w) {
        super(config, w);
        this.config = config;
        this.shared = new Embedding(w.prefix("shared"), config.vocabSize(), config.dModel());
        this.encoder = new T5Stack(config, w.prefix("encoder"), shared, false, config.numLayers());
        w.ignoreUnexpected("decoder"); // Python's _keys_to_ignore_on_load_unexpected = [r"decoder"]
    }

    public static T5EncoderModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static T5EncoderModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public T5Config config() {
        return config;
    }

    @Override
    public BaseModelOutput forward(ModelInputs inputs) {
        inputs.requireOnly("T5EncoderModel", INPUTS);
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPastAndCrossAttentions e = encoder.forward(new T5Stack.Args(inputs.inputIds(),
                    inputs.attentionMask(), null, null, inputs.inputsEmbeds(), inputs.headMask(), null, null, false,
                    inputs.flag("output_attentions", config.outputAttentions()),
                    inputs.flag("output_hidden_states", config.outputHiddenStates())));
            return keep(new BaseModelOutput(e.lastHiddenState(), e.hiddenStates(), e.attentions()));
        }
    }

    public BaseModelOutput forward(NDArray inputIds, NDArray attentionMask) {
        return forward(ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).build());
    }
}
