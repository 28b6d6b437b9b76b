package io.transformers4j.models.bert;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BERT with its masked-language-modeling head (fill-mask). Port of {@code BertForMaskedLM} (modeling_bert.py).
 * Extra arguments: {@code labels} (batch, seq), -100 = ignored; {@code encoder_hidden_states} /
 * {@code encoder_attention_mask} as in Python (only used by decoder configs with cross-attention).
 */
public class BertForMaskedLM extends BertPreTrainedModel {

    private static final Logger LOG = LoggerFactory.getLogger(BertForMaskedLM.class);

    public static final ModelClass<BertConfig, BertForMaskedLM> CLASS =
            modelClass("BertForMaskedLM", true, BertForMaskedLM::new);

    static final Set<String> ARGUMENTS = arguments("encoder_hidden_states", "encoder_attention_mask", "labels");

    final BertModel bert;
    final BertOnlyMLMHead cls;

    public BertForMaskedLM(BertConfig config, Weights w) {
        super(config, w);
        if (config.isDecoder()) {
            LOG.warn("If you want to use `BertForMaskedLM` make sure `config.is_decoder=False` for bi-directional "
                    + "self-attention.");
        }
        this.bert = new BertModel(config, w.prefix("bert"), false);
        this.cls = new BertOnlyMLMHead(config, w.prefix("cls"), bert.inputEmbeddings());
    }

    public static BertForMaskedLM fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    public static BertForMaskedLM fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    @Override
    public MaskedLMOutput forward(ModelInputs inputs) {
        begin(inputs, ARGUMENTS);
        try (NDScope scope = new NDScope()) {
            // Python's BertForMaskedLM never passes past_key_values / use_cache to its BertModel.
            BaseModelOutputWithPoolingAndCrossAttentions outputs = bert.run(inputs.toBuilder().useCache(false).build());
            NDArray predictionScores = cls.forward(outputs.lastHiddenState());
            NDArray labels = inputs.labels();
            NDArray maskedLmLoss = labels == null ? null : Losses.crossEntropy(predictionScores, labels);
            return keep(new MaskedLMOutput(maskedLmLoss, predictionScores, outputs.hiddenStates(),
                    outputs.attentions()));
        }
    }

    public MaskedLMOutput forward(NDArray inputIds) {
        return forward(inputs(inputIds, null, null));
    }

    public MaskedLMOutput forward(NDArray inputIds, NDArray attentionMask) {
        return forward(inputs(inputIds, attentionMask, null));
    }

    public MaskedLMOutput forward(NDArray inputIds, NDArray attentionMask, NDArray tokenTypeIds) {
        return forward(inputs(inputIds, attentionMask, tokenTypeIds));
    }
}
