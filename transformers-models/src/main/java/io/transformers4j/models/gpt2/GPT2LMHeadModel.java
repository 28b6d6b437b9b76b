package io.transformers4j.models.gpt2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelClass;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutputWithPastAndCrossAttentions;
import io.transformers4j.modeling.outputs.CausalLMOutputWithCrossAttentions;
import io.transformers4j.nn.Linear;
import io.transformers4j.nn.Losses;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.Weights;
import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/**
 * GPT-2 with its language-modelling head: logits over the vocabulary for the next token at every position. Port of
 * {@code GPT2LMHeadModel}.
 *
 * <pre>{@code
 * try (GPT2LMHeadModel model = GPT2LMHeadModel.fromPretrained("openai-community/gpt2")) {
 *     CausalLMOutputWithCrossAttentions out = model.forward(ModelInputs.builder()
 *             .inputIds(ids).attentionMask(mask).labels(ids).build());
 *     float loss = out.loss().getFloat();
 * }
 * }</pre>
 */
public class GPT2LMHeadModel extends PreTrainedModel {

    public static final ModelClass<GPT2Config, GPT2LMHeadModel> CLASS =
            new ModelClass<>("GPT2LMHeadModel", GPT2Config.class, "transformer", true, GPT2LMHeadModel::new);

    static final Set<String> INPUTS = with(GPT2Model.INPUTS, "labels");

    private final GPT2Config config;
    private final GPT2Model transformer;
    private final Linear lmHead; // weight (vocab, hidden), no bias

    public GPT2LMHeadModel(GPT2Config config, Weights w) {
        super(config, w);
        this.config = config;
        this.transformer = new GPT2Model(config, w.prefix("transformer"));
        if (config.tieWordEmbeddings()) {
            // Python's _tied_weights_keys = ["lm_head.weight"]: the head IS the token embedding matrix, so
            // save_pretrained leaves it out of checkpoints and loading re-ties it.
            this.lmHead = new Linear(w.tie("lm_head.weight", transformer.wte().weight), null);
        } else {
            this.lmHead = new Linear(w.prefix("lm_head"), config.hiddenSize(), config.vocabSize(), false);
        }
    }

    public static GPT2LMHeadModel fromPretrained(String repoIdOrPath, LoadOptions options) throws IOException {
        return PreTrainedModel.fromPretrained(CLASS, repoIdOrPath, options);
    }

    public static GPT2LMHeadModel fromPretrained(String repoIdOrPath) throws IOException {
        return fromPretrained(repoIdOrPath, LoadOptions.defaults());
    }

    @Override
    public GPT2Config config() {
        return config;
    }

    /** The decoder under the head ({@code model.transformer}). */
    public GPT2Model transformer() {
        return transformer;
    }

    @Override
    public CausalLMOutputWithCrossAttentions forward(ModelInputs inputs) {
        inputs.requireOnly("GPT2LMHeadModel", INPUTS);
        Torch.ensureThreadReady();
        checkOpen();
        try (NDScope scope = new NDScope()) {
            BaseModelOutputWithPastAndCrossAttentions t = transformer.run(inputs);
            NDArray logits = lmHead.forward(t.lastHiddenState()); // (B, T, vocab)

            NDArray loss = null;
            NDArray labels = inputs.labels();
            if (labels != null) {
                // Shift so that tokens < n predict n; labels of -100 are ignored.
                long seq = logits.getShape().get(logits.getShape().dimension() - 2);
                NDArray shiftLogits = logits.get(new NDIndex("..., :{}, :", seq - 1)); // (B, T-1, vocab)
                NDArray shiftLabels = labels.get(new NDIndex("..., 1:"));              // (B, T-1)
                loss = Losses.crossEntropy(shiftLogits, shiftLabels);
            }
            CausalLMOutputWithCrossAttentions out = new CausalLMOutputWithCrossAttentions(loss, logits,
                    t.pastKeyValues(), t.hiddenStates(), t.attentions(), t.crossAttentions());
            GPT2Model.keep(out);
            return out;
        }
    }

    public CausalLMOutputWithCrossAttentions forward(NDArray inputIds) {
        return forward(ModelInputs.builder().inputIds(inputIds).build());
    }

    public CausalLMOutputWithCrossAttentions forward(NDArray inputIds, NDArray attentionMask) {
        return forward(ModelInputs.builder().inputIds(inputIds).attentionMask(attentionMask).build());
    }

    static Set<String> with(Set<String> base, String... more) {
        Set<String> s = new HashSet<>(base);
        s.addAll(Set.of(more));
        return Set.copyOf(s);
    }
}
