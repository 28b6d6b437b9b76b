package io.transformers4j.models.bert;

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
 * BERT scoring each of several choices (RocStories / SWAG): inputs are (batch, num_choices, seq), each choice is
 * encoded on its own, and a linear layer over its pooled output gives its score. Port of
 * {@code BertForMultipleChoice}. Extra argument: {@code labels} (batch), the index of the right choice.
 */
public class BertForMultipleChoice extends BertPreTrainedModel {

    public static final ModelClass<BertConfig, BertForMultipleChoice> CLASS =
            modelClass("BertForMultipleChoice", true, BertForMultipleChoice::new);

    static final Set<String> ARGUMENTS = arguments("labels");

    final BertModel bert;
    final Linear classifier; // (1, hidden)

    public BertForMultipleChoice(BertConfig config, Weights w) {
        super(config, w);
        this.bert = new BertModel(config, w.prefix("bert"), true);
        this.classifier = new Linear(w.prefix("classifier"), config.hiddenSize(), 1, true);
    }

    public static BertForMultipleChoice fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static BertForMultipleChoice fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
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
                    + " of BertForMultipleChoice must be (batch, num_choices, seq"
                    + (inputIds != null ? "" : ", hidden") + "), got shape " + shape);
        }
        long numChoices = shape.get(1);
        try (NDScope scope = new NDScope()) {
            // Every choice becomes its own row: (B, C, T) -> (B * C, T).
            ModelInputs.Builder flat = inputs.toBuilder();
            for (String name : new String[] {"input_ids", "attention_mask", "token_type_ids", "position_ids"}) {
                NDArray t = inputs.tensor(name);
                if (t != null) {
                    flat.set(name, t.reshape(-1, t.getShape().get(t.getShape().dimension() - 1)));
                }
            }
            if (inputsEmbeds != null) {
                flat.inputsEmbeds(inputsEmbeds.reshape(-1, shape.get(2), shape.get(3)));
            }
            BaseModelOutputWithPoolingAndCrossAttentions outputs = bert.run(flat.build());
            NDArray reshapedLogits = classifier.forward(outputs.poolerOutput()).reshape(-1, numChoices); // (B, C)
            NDArray labels = inputs.labels();
            NDArray loss = labels == null ? null : Losses.crossEntropy(reshapedLogits, labels);
            return keep(new MultipleChoiceModelOutput(loss, reshapedLogits, outputs.hiddenStates(),
                    outputs.attentions()));
        }
    }

    /** @param inputIds (batch, num_choices, seq) */
    public MultipleChoiceModelOutput forward(NDArray inputIds) {
        return forward(inputs(inputIds, null, null));
    }

    public MultipleChoiceModelOutput forward(NDArray inputIds, NDArray attentionMask) {
        return forward(inputs(inputIds, attentionMask, null));
    }

    public MultipleChoiceModelOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
