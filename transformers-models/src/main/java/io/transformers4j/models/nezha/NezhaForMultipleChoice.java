package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.modeling.outputs.MultipleChoiceModelOutput;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;

/**
 * NEZHA scoring each of several candidate continuations: inputs (batch, num_choices, seq), one logit per choice. Port
 * of {@code NezhaForMultipleChoice} (without the debugging prints Python's version has). Extra argument:
 * {@code labels} (batch), the index of the right choice.
 */
public class NezhaForMultipleChoice extends NezhaPreTrainedModel {

    public static final ModelClass<NezhaConfig, NezhaForMultipleChoice> CLASS =
            modelClass("NezhaForMultipleChoice", true, NezhaForMultipleChoice::new);

    static final Set<String> ARGUMENTS = arguments("labels");

    final NezhaModel nezha;
    private final Linear classifier; // (1, hidden)

    public NezhaForMultipleChoice(NezhaConfig config, Weights w) {
        super(config, w);
        this.nezha = new NezhaModel(config, w.prefix("nezha"), true);
        this.classifier = new Linear(w.prefix("classifier"), config.hiddenSize(), 1, true);
    }

    public static NezhaForMultipleChoice fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static NezhaForMultipleChoice fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public MultipleChoiceModelOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        NDArray inputIds = inputs.inputIds();
        NDArray inputsEmbeds = inputs.inputsEmbeds();
        if (inputIds == null && inputsEmbeds == null) {
            throw new IllegalArgumentException("You have to specify either input_ids or inputs_embeds");
        }
        Shape shape = (inputIds != null ? inputIds : inputsEmbeds).getShape();
        if (shape.dimension() != (inputIds != null ? 3 : 4)) {
            throw new IllegalArgumentException((inputIds != null ? "input_ids" : "inputs_embeds")
                    + " of NezhaForMultipleChoice must be (batch, num_choices, seq" + (inputIds != null ? "" : ", hidden")
                    + "), got shape " + shape);
        }
        long numChoices = shape.get(1);
        try (NDScope scope = new NDScope()) {
            // Every choice becomes its own row: (B, C, T) -> (B * C, T).
            ModelInputs.Builder flat = inputs.toBuilder().set("labels", null);
            for (String name : new String[] {"input_ids", "attention_mask", "token_type_ids"}) {
                NDArray t = inputs.tensor(name);
                if (t != null) {
                    flat.set(name, t.reshape(-1, t.getShape().get(t.getShape().dimension() - 1)));
                }
            }
            if (inputsEmbeds != null) {
                flat.inputsEmbeds(inputsEmbeds.reshape(-1, shape.get(2), shape.get(3)));
            }
            BaseModelOutputWithPoolingAndCrossAttentions outputs = nezha.run(flat.build());
            NDArray reshapedLogits = classifier.forward(outputs.poolerOutput()).reshape(-1, numChoices); // (B, C)
            NDArray labels = inputs.labels();
            NDArray loss = labels == null ? null : Losses.crossEntropy(reshapedLogits, labels);
            return keep(new MultipleChoiceModelOutput(loss, reshapedLogits, outputs.hiddenStates(),
                    outputs.attentions()));
        }
    }
}
