package io.transformers4j.models.llama;

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
 * Llama with a classification head read at each sequence's last real token. Port of
 * {@code LlamaForSequenceClassification}; the pooling rule is {@link ClassificationHeads#poolLastToken}'s.
 */
public class LlamaForSequenceClassification extends PreTrainedModel {

    public static final ModelClass<LlamaConfig, LlamaForSequenceClassification> CLASS = new ModelClass<>(
            "LlamaForSequenceClassification", LlamaConfig.class, "model", true, LlamaForSequenceClassification::new);

    static final Set<String> INPUTS = ModelInputs.names(LlamaModel.INPUTS, "labels");

    private final LlamaConfig config;
    private final LlamaModel model;
    private final Linear score; // weight (num_labels, hidden), no bias

    public LlamaForSequenceClassification(LlamaConfig config, Weights w) {
        super(config, w);
        this.config = config;
        this.model = new LlamaModel(config, w.prefix("model"));
        this.score = new Linear(w.prefix("score"), config.hiddenSize(), config.numLabels(), false);
    }

    public static LlamaForSequenceClassification fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static LlamaForSequenceClassification fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public LlamaConfig config() {
        return config;
    }

    @Override
    public SequenceClassifierOutputWithPast forward(ModelInputs inputs) {
        inputs.requireOnly("LlamaForSequenceClassification", INPUTS);
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPast outputs = model.run(inputs);
            NDArray logits = score.forward(outputs.lastHiddenState()); // (B, T, num_labels)
            NDArray pooled = ClassificationHeads.poolLastToken(logits, inputs.inputIds(), config);
            NDArray loss = inputs.labels() == null ? null : ClassificationHeads.loss(pooled, inputs.labels(), config);
            SequenceClassifierOutputWithPast out = new SequenceClassifierOutputWithPast(loss, pooled,
                    outputs.pastKeyValues(), outputs.hiddenStates(), outputs.attentions());
            LlamaModel.keep(out);
            return out;
        }
    }

    public SequenceClassifierOutputWithPast forward(NDArray inputIds, NDArray attentionMask) {
        return forward(ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).build());
    }
}
