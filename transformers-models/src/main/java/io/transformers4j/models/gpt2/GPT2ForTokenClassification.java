package io.transformers4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.modeling.outputs.TokenClassifierOutput;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/** GPT-2 with a linear classifier over every token's hidden state (NER-style). Port of {@code GPT2ForTokenClassification}. */
public class GPT2ForTokenClassification extends PreTrainedModel {

    public static final ModelClass<GPT2Config, GPT2ForTokenClassification> CLASS = new ModelClass<>(
            "GPT2ForTokenClassification", GPT2Config.class, "transformer", true, GPT2ForTokenClassification::new);

    static final Set<String> INPUTS = ModelInputs.names(GPT2Model.INPUTS, "labels");

    private final GPT2Config config;
    private final GPT2Model transformer;
    private final Linear classifier; // weight (num_labels, hidden), bias (num_labels)

    public GPT2ForTokenClassification(GPT2Config config, Weights w) {
        super(config, w);
        this.config = config;
        this.transformer = new GPT2Model(config, w.prefix("transformer"));
        // Python's dropout before the classifier (classifier_dropout / hidden_dropout / 0.1) is a no-op at inference.
        this.classifier = new Linear(w.prefix("classifier"), config.hiddenSize(), config.numLabels(), true);
    }

    public static GPT2ForTokenClassification fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static GPT2ForTokenClassification fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public GPT2Config config() {
        return config;
    }

    @Override
    public TokenClassifierOutput forward(ModelInputs inputs) {
        inputs.requireOnly("GPT2ForTokenClassification", INPUTS);
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPastAndCrossAttentions t = transformer.run(inputs);
            NDArray logits = classifier.forward(t.lastHiddenState()); // (B, T, num_labels)
            NDArray loss = null;
            if (inputs.labels() != null) {
                loss = Losses.crossEntropy(logits.reshape(-1, config.numLabels()), inputs.labels().reshape(-1));
            }
            // Python's TokenClassifierOutput has no past_key_values: the cache, if computed, is dropped here.
            TokenClassifierOutput out = new TokenClassifierOutput(loss, logits, t.hiddenStates(), t.attentions());
            GPT2Model.keep(out);
            return out;
        }
    }

    public TokenClassifierOutput forward(NDArray inputIds) {
        return forward(ModelInputs.builder().inputIds(inputIds).build());
    }

    public TokenClassifierOutput forward(NDArray inputIds, NDArray attentionMask) {
        return forward(ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).build());
    }
}
