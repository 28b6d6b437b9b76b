package io.transformers4j.models.mistral;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPast;
import io.transformers4j.modeling.outputs.SequenceClassifierOutputWithPast;
import io.transformers4j.models.ClassificationHeads;
import io.transformers4j.nn.Linear;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * Mistral with a classification head read at each sequence's last real token. Port of
 * {@code MistralForSequenceClassification}; the pooling rule is {@link ClassificationHeads#poolLastToken}'s.
 */
public class MistralForSequenceClassification extends PreTrainedModel {

    public static final ModelClass<MistralConfig, MistralForSequenceClassification> CLASS = new ModelClass<>(
            "MistralForSequenceClassification", MistralConfig.class, "model", true, MistralForSequenceClassification::new);

    static final Set<String> INPUTS = ModelInputs.names(MistralModel.INPUTS, "labels");

    private final MistralConfig config;
    private final MistralModel model;
    private final Linear score; // weight (num_labels, hidden), no bias

    public MistralForSequenceClassification(MistralConfig config, Weights w) {
        super(config, w);
        this.config = config;
        this.model = new MistralModel(config, w.prefix("model"));
        this.score = new Linear(w.prefix("score"), config.hiddenSize(), config.numLabels(), false);
    }

    public static MistralForSequenceClassification fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static MistralForSequenceClassification fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public MistralConfig config() {
        return config;
    }

    @Override
    public SequenceClassifierOutputWithPast forward(ModelInputs inputs) {
        inputs.requireOnly("MistralForSequenceClassification", INPUTS);
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPast outputs = model.run(inputs);
            NDArray logits = score.forward(outputs.lastHiddenState()); // (B, T, num_labels)
            NDArray pooled = ClassificationHeads.poolLastToken(logits, inputs.inputIds(), config);
            NDArray loss = inputs.labels() == null ? null : ClassificationHeads.loss(pooled, inputs.labels(), config);
            SequenceClassifierOutputWithPast out = new SequenceClassifierOutputWithPast(loss, pooled,
                    outputs.pastKeyValues(), outputs.hiddenStates(), outputs.attentions());
            MistralModel.keep(out);
            return out;
        }
    }

    public SequenceClassifierOutputWithPast forward(NDArray inputIds, NDArray attentionMask) {
        return forward(ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).build());
    }
}
