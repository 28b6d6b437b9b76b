package io.transformers4j.models.longt5;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.nn.Embedding;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * LongT5's encoder alone, outputting its raw hidden states. Port of {@code LongT5EncoderModel}
 * (models/longt5/modeling_longt5.py). Attention weights are block-shaped (see {@link LongT5Model}).
 */
public class LongT5EncoderModel extends LongT5PreTrainedModel {

    public static final ModelClass<LongT5Config, LongT5EncoderModel> CLASS = new ModelClass<>("LongT5EncoderModel",
            LongT5Config.class, BASE_MODEL_PREFIX, false, LongT5EncoderModel::new);

    static final Set<String> INPUTS = Set.of("input_ids", "attention_mask", "head_mask", "inputs_embeds",
            "output_attentions", "output_hidden_states");

    private final Embedding shared; // (vocab, d_model)
    private final LongT5EncoderStack encoder;

    public LongT5EncoderModel(LongT5Config config, Weights w) {
        super(config, w);
        this.shared = new Embedding(w.prefix("shared"), config.vocabSize(), config.dModel());
        this.encoder = new LongT5EncoderStack(config, w.prefix("encoder"), shared);
    }

    public static LongT5EncoderModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static LongT5EncoderModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public BaseModelOutput forward(ModelInputs inputs) {
        begin(inputs, INPUTS);
        try (NDScope scope = new NDScope()) {
            return keep(encoder.forward(inputs.inputIds(), inputs.attentionMask(), inputs.inputsEmbeds(),
                    inputs.headMask(), inputs.flag("output_attentions", config().outputAttentions()),
                    inputs.flag("output_hidden_states", config().outputHiddenStates())));
        }
    }

    public BaseModelOutput forward(NDArray inputIds, NDArray attentionMask) {
        return forward(ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).build());
    }
}
