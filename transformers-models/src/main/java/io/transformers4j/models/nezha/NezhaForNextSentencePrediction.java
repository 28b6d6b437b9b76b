package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.modeling.outputs.NextSentencePredictorOutput;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * NEZHA with its next-sentence head: does sentence B follow sentence A (index 0) or not (index 1)? Port of
 * {@code NezhaForNextSentencePrediction}. Extra argument: {@code labels} (batch); the deprecated
 * {@code next_sentence_label} is accepted in its place, as in Python.
 */
public class NezhaForNextSentencePrediction extends NezhaPreTrainedModel {

    public static final ModelClass<NezhaConfig, NezhaForNextSentencePrediction> CLASS =
            modelClass("NezhaForNextSentencePrediction", true, NezhaForNextSentencePrediction::new);

    static final Set<String> ARGUMENTS = arguments("labels", "next_sentence_label");

    final NezhaModel nezha;
    private final Linear seqRelationship; // cls.seq_relationship (2, hidden)

    public NezhaForNextSentencePrediction(NezhaConfig config, Weights w) {
        super(config, w);
        this.nezha = new NezhaModel(config, w.prefix("nezha"), true);
        this.seqRelationship = new Linear(w.prefix("cls").prefix("seq_relationship"), config.hiddenSize(), 2, true);
    }

    public static NezhaForNextSentencePrediction fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static NezhaForNextSentencePrediction fromPretrained(String repoIdOrPath, LoadOptions options)
            throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public NextSentencePredictorOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        NDArray labels = inputs.labels() != null ? inputs.labels() : inputs.tensor("next_sentence_label");
        ModelInputs base = inputs.toBuilder().set("labels", null).set("next_sentence_label", null).build();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = nezha.run(base);
            NDArray scores = seqRelationship.forward(outputs.poolerOutput()); // (B, 2)
            NDArray loss = labels == null ? null : Losses.crossEntropy(scores, labels);
            return keep(new NextSentencePredictorOutput(loss, scores, outputs.hiddenStates(), outputs.attentions()));
        }
    }

    public NextSentencePredictorOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
