package io.transformers4j.models.blenderbot_small;

import static io.transformers4j.models.testing.NDAsserts.assertClose;
import static io.transformers4j.models.testing.NDAsserts.fixture;
import static io.transformers4j.models.testing.NDAsserts.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.models.testing.NDAsserts;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.CausalLMOutputWithCrossAttentions;
import io.transformers4j.modeling.outputs.Seq2SeqLMOutput;
import io.transformers4j.modeling.outputs.Seq2SeqModelOutput;
import io.transformers4j.torch.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tiny random BlenderbotSmalls and the fixture checkpoint: caches, heads, loading. */
class BlenderbotSmallModelTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    static BlenderbotSmallConfig tinyConfig(Map<String, Object> extra) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", 50, "d_model", 32, "encoder_layers", 2,
                "decoder_layers", 2, "encoder_attention_heads", 4, "decoder_attention_heads", 4, "encoder_ffn_dim", 37,
                "decoder_ffn_dim", 37, "max_position_embeddings", 24, "init_std", 0.3));
        c.put("scale_embedding", true);
        c.putAll(extra);
        return PretrainedConfig.fromMap(c, BlenderbotSmallConfig.class);
    }

    @Test
    void decoderWithCacheEqualsFullDecoderForward() {
        try (BlenderbotSmallForConditionalGeneration model = PreTrainedModel.fromConfig(
                BlenderbotSmallForConditionalGeneration.CLASS, tinyConfig(Map.of()), 7, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {4, 9, 13, 22, 7, 2, 5, 31, 8, 2, 0, 0}, new Shape(2, 6));
            NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, new Shape(2, 6));
            NDArray dec = m.create(new long[] {1, 12, 40, 3, 3, 17, 25, 1, 6, 6, 19, 2, 44, 9}, new Shape(2, 7));
            Seq2SeqLMOutput full = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                    .decoderInputIds(dec).useCache(false).build());
            assertNull(full.pastKeyValues());

            BaseModelOutput enc = model.encode(ids, mask);
            assertClose("encode", enc.lastHiddenState(), full.encoderLastHiddenState(), 1e-6, 1e-6);
            Seq2SeqLMOutput step = model.forward(ModelInputs.builder().set("encoder_outputs", enc).attentionMask(mask)
                    .decoderInputIds(dec.get(new NDIndex(":, :4"))).useCache(true).build());
            NDList pieces = new NDList(step.logits());
            for (int t = 4; t < 7; t++) {
                step = model.forward(ModelInputs.builder().set("encoder_outputs", enc).attentionMask(mask)
                        .decoderInputIds(dec.get(new NDIndex(":, {}:{}", t, t + 1)))
                        .pastKeyValues(step.pastKeyValues()).useCache(true).build());
                pieces.add(step.logits());
            }
            assertClose("forward with cache", NDArrays.concat(pieces, 1), full.logits(), 1e-5, 1e-5);
            List<NDArray[]> cache = step.pastKeyValues();
            assertEquals(4, cache.get(1).length);
            assertArrayEquals(new long[] {2, 4, 7, 8}, cache.get(1)[0].getShape().getShape());
            assertArrayEquals(new long[] {2, 4, 6, 8}, cache.get(1)[3].getShape().getShape());

            List<NDArray[]> past = null;
            NDList steps = new NDList();
            for (int t = 0; t < 7; t++) {
                Seq2SeqLMOutput o = model.decode(dec.get(new NDIndex(":, {}:{}", t, t + 1)), null,
                        enc.lastHiddenState(), mask, past);
                steps.add(o.logits());
                past = o.pastKeyValues();
            }
            assertClose("decode steps", NDArrays.concat(steps, 1), full.logits(), 1e-5, 1e-5);
            // positions count from the cache length: the last token alone lands at position 0 and differs
            NDArray alone = model.forward(ModelInputs.builder().set("encoder_outputs", enc).attentionMask(mask)
                    .decoderInputIds(dec.get(new NDIndex(":, -1:"))).useCache(false).build()).logits();
            assertTrue(maxAbsDiff(alone, full.logits().get(new NDIndex(":, -1:"))) > 1e-3);
        }
    }

    @Test
    void paddedDecoderMaskMatchesThePythonFill() {
        // A padded decoder position: masked keys get finfo.min once (a fill, not added twice), so the padded column
        // has zero weight and the rows before the pad are those of the shorter, unpadded target.
        try (BlenderbotSmallForConditionalGeneration model = PreTrainedModel.fromConfig(
                BlenderbotSmallForConditionalGeneration.CLASS, tinyConfig(Map.of()), 8, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {4, 9, 13, 22}, new Shape(1, 4));
            NDArray dec = m.create(new long[] {1, 12, 40, 0}, new Shape(1, 4));
            NDArray decMask = m.create(new long[] {1, 1, 1, 0}, new Shape(1, 4));
            Seq2SeqLMOutput padded = model.forward(ModelInputs.builder().inputIds(ids).decoderInputIds(dec)
                    .decoderAttentionMask(decMask).outputAttentions(true).useCache(false).build());
            Seq2SeqLMOutput shorter = model.forward(ModelInputs.builder().inputIds(ids)
                    .decoderInputIds(dec.get(new NDIndex(":, :3"))).useCache(false).build());
            assertClose("rows before the pad", padded.logits().get(new NDIndex(":, :3")), shorter.logits(), 1e-5, 1e-5);
            NDArray w = padded.decoderAttentions().get(0); // (1, 4, 4, 4)
            assertEquals(0.0, w.get(new NDIndex(":, :, :, 3")).abs().max().getFloat(), 0.0);

            // left padding: query 0 sees only its own, padded, key; every key of its row then holds exactly min
            // (padding filled over the causal mask, not added to it), so its softmax is uniform as in Python
            NDArray leftMask = m.create(new long[] {0, 1, 1, 1}, new Shape(1, 4));
            NDArray lw = model.forward(ModelInputs.builder().inputIds(ids).decoderInputIds(dec)
                    .decoderAttentionMask(leftMask).outputAttentions(true).useCache(false).build())
                    .decoderAttentions().get(0);
            assertClose("uniform fully masked row", lw.get(new NDIndex(":, :, 0, :")),
                    m.full(new Shape(1, 4, 4), 0.25f), 1e-7, 0);
        }
    }

    @Test
    void labelsShiftIntoDecoderInputsAndTurnTheCacheOff() {
        try (BlenderbotSmallForConditionalGeneration model = PreTrainedModel.fromConfig(
                BlenderbotSmallForConditionalGeneration.CLASS, tinyConfig(Map.of("pad_token_id", 0,
                        "decoder_start_token_id", 1)), 3, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {4, 9, 13}, new Shape(1, 3));
            NDArray labels = m.create(new long[] {12, 40, -100}, new Shape(1, 3));
            Seq2SeqLMOutput out = model.forward(ModelInputs.builder().inputIds(ids).labels(labels).useCache(true)
                    .build());
            assertNull(out.pastKeyValues());
            NDArray dec = m.create(new long[] {1, 12, 40}, new Shape(1, 3));
            NDArray logits = model.forward(ModelInputs.builder().inputIds(ids).decoderInputIds(dec).useCache(false)
                    .build()).logits();
            assertClose("logits", out.logits(), logits, 0, 0);
            NDArray logp = logits.get(new NDIndex("0")).logSoftmax(-1);
            assertEquals(-(logp.getFloat(0, 12) + logp.getFloat(1, 40)) / 2, out.loss().getFloat(), 1e-5);
            assertArrayEquals(new long[] {1, 12, 40, 1, 0, 7},
                    BlenderbotSmallPreTrainedModel.shiftTokensRight(m.create(new long[] {12, 40, -100, -100, 7, 9},
                            new Shape(2, 3)), 0, 1).toLongArray());
        }
    }

    @Test
    void causalLmCacheEqualsFullForward() {
        try (BlenderbotSmallForCausalLM model = PreTrainedModel.fromConfig(BlenderbotSmallForCausalLM.CLASS,
                tinyConfig(Map.of()), 5, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {5, 17, 3, 42, 8, 8, 21, 9}, new Shape(1, 8));
            NDArray full = model.forward(ModelInputs.builder().inputIds(ids).useCache(false).build()).logits();
            CausalLMOutputWithCrossAttentions step = model.forward(ModelInputs.builder()
                    .inputIds(ids.get(new NDIndex(":, :5"))).useCache(true).build());
            NDList pieces = new NDList(step.logits());
            for (int t = 5; t < 8; t++) {
                step = model.forward(ModelInputs.builder().inputIds(ids.get(new NDIndex(":, {}:{}", t, t + 1)))
                        .pastKeyValues(step.pastKeyValues()).useCache(true).build());
                pieces.add(step.logits());
            }
            assertClose("causal LM with cache", NDArrays.concat(pieces, 1), full, 1e-5, 1e-5);
            assertEquals(2, step.pastKeyValues().get(0).length); // no cross-attention without an encoder
            assertTrue(model.stateDict().keySet().stream().allMatch(k -> k.startsWith("model.decoder.")),
                    "lm_head is tied to model.decoder.embed_tokens");
        }
    }

    @Test
    void bareModelLoadsFromTheFixtureAndTheHeadReloadsWithoutFinalLogitsBias(@TempDir Path tmp) throws IOException {
        Path dir = fixture("blenderbot-small-cond-gen");
        LoadOptions options = LoadOptions.defaults().withLocalFilesOnly(true);
        try (BlenderbotSmallModel model = BlenderbotSmallModel.fromPretrained(dir.toString(), options);
                NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of(), model.missingKeys());
            assertEquals(List.of("final_logits_bias"), model.unexpectedKeys());
            Map<String, NDArray> in = NDAsserts.load(dir.resolve("inputs.safetensors"), m);
            Map<String, NDArray> expected = NDAsserts.load(dir.resolve("outputs.safetensors"), m);
            Seq2SeqModelOutput out = model.forward(ModelInputs.builder().inputIds(in.get("input_ids"))
                    .attentionMask(in.get("attention_mask")).decoderInputIds(in.get("decoder_input_ids"))
                    .decoderAttentionMask(in.get("decoder_attention_mask")).useCache(false).build());
            assertClose("decoder last hidden state", out.lastHiddenState(), expected.get("decoder_hidden_states.2"),
                    1e-4, 1e-4);
            assertClose("encoder last hidden state", out.encoderLastHiddenState(),
                    expected.get("encoder_last_hidden_state"), 1e-4, 1e-4);

            // a bare-model checkpoint has no final_logits_bias: the head starts it at zero without calling it missing
            model.savePretrained(tmp);
            try (BlenderbotSmallForConditionalGeneration lm = BlenderbotSmallForConditionalGeneration.fromPretrained(
                    tmp.toString(), options.withStrict(true))) {
                assertEquals(List.of(), lm.missingKeys());
                assertEquals(0f, lm.stateDict().get("final_logits_bias").abs().max().getFloat());
            }
        }
    }

    @Test
    void headMaskMustHaveOneRowPerLayer() {
        try (BlenderbotSmallModel model = PreTrainedModel.fromConfig(BlenderbotSmallModel.CLASS, tinyConfig(Map.of()),
                2, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = m.create(new long[] {4, 9, 13}, new Shape(1, 3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.forward(ModelInputs.builder().inputIds(ids).decoderInputIds(ids)
                            .headMask(m.ones(new Shape(3, 4))).build()));
            assertTrue(e.getMessage().contains("head_mask"), e.getMessage());
            // masking every head of the encoder's first layer changes the output
            NDArray zeroFirst = m.create(new float[] {0, 0, 0, 0, 1, 1, 1, 1}, new Shape(2, 4));
            NDArray a = model.forward(ModelInputs.builder().inputIds(ids).decoderInputIds(ids).build())
                    .encoderLastHiddenState();
            NDArray b = model.forward(ModelInputs.builder().inputIds(ids).decoderInputIds(ids).headMask(zeroFirst)
                    .build()).encoderLastHiddenState();
            assertTrue(maxAbsDiff(a, b) > 1e-3);
        }
    }
}
