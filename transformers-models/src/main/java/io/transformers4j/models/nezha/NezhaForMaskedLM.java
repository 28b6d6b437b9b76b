package io.transformers4j.models.nezha;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPoolingAndCrossAttentions;
import io.transformers4j.modeling.outputs.MaskedLMOutput;
import io.transformers4j.nn.Losses;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.Set;
import org.slf4j.LoggerFactory;

/**
 * NEZHA with its masked-language-modelling head: vocabulary logits at every position. Port of
 * {@code NezhaForMaskedLM} (models/nezha/modeling_nezha.py). Extra argument: {@code labels} (batch, seq), -100 where
 * no token is to be predicted.
 */
public class NezhaForMaskedLM extends NezhaPreTrainedModel {

    public static final ModelClass<NezhaConfig, NezhaForMaskedLM> CLASS =
            modelClass("NezhaForMaskedLM", true, NezhaForMaskedLM::new);

    static final Set<String> ARGUMENTS = arguments("encoder_hidden_states", "encoder_attention_mask", "labels");

    final NezhaModel nezha;
    private final NezhaLMPredictionHead predictions; // cls.predictions

    public NezhaForMaskedLM(NezhaConfig config, Weights w) {
        super(config, w);
        if (config.isDecoder()) {
            LoggerFactory.getLogger(NezhaForMaskedLM.class).warn("If you want to use `NezhaForMaskedLM` make sure "
                    + "`config.is_decoder=False` for bi-directional self-attention.");
        }
        this.nezha = new NezhaModel(config, w.prefix("nezha"), false);
        this.predictions = new NezhaLMPredictionHead(config, w.prefix("cls").prefix("predictions"),
                nezha.inputEmbeddings());
    }

    public static NezhaForMaskedLM fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static NezhaForMaskedLM fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public MaskedLMOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPoolingAndCrossAttentions outputs = nezha.run(inputs);
            NDArray predictionScores = predictions.forward(outputs.lastHiddenState()); // (B, T, vocab)
            NDArray labels = inputs.labels();
            NDArray loss = labels == null ? null : Losses.crossEntropy(predictionScores, labels);
            return keep(new MaskedLMOutput(loss, predictionScores, outputs.hiddenStates(), outputs.attentions()));
        }
    }

    public MaskedLMOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
