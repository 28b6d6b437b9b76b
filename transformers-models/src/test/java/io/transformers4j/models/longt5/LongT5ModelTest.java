package io.transformers4j.models.longt5;

import static io.transformers4j.models.testing.NDAsserts.assertClose;
import static io.transformers4j.models.testing.NDAsserts.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import io.transformers4j.modeling.ModelInputs;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.Seq2SeqLMOutput;
import io.transformers4j.torch.Torch;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tiny random LongT5s: locality, padding, global blocks and the decoder cache. */
class LongT5ModelTest {

    static final int VOCAB = 60;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    static LongT5Config tinyConfig(String attention) {
        Map<String, Object> c = new HashMap<>(Map.of("vocab_size", VOCAB, "d_model", 32, "d_kv", 8, "d_ff", 37,
                "num_layers", 2, "num_decoder_layers", 2, "num_heads", 4, "relative_attention_num_buckets", 8,
                "relative_attention_max_distance", 20, "local_radius", 3));
        c.put("global_block_size", 4);
        c.put("encoder_attention_type", attention);
        c.put("decoder_start_token_id", 0);
        return PretrainedConfig.fromMap(c, LongT5Config.class);
    }

    static NDArray randomIds(NDManager m, int batch, int len, long seed) {
        Random r = new Random(seed);
        long[] ids = new long[batch * len];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 2 + r.nextInt(VOCAB - 2);
        }
        return m.create(ids, new Shape(batch, len));
    }

    @Test
    void configExtendsT5AndChecksTheAttentionType() {
        LongT5Config defaults = PretrainedConfig.fromMap(Map.of(), LongT5Config.class);
        assertEquals("longt5", defaults.modelType());
        assertEquals(127, defaults.localRadius());
        assertEquals(128, defaults.blockLen());
        assertEquals(16, defaults.globalBlockSize());
        assertEquals("local", defaults.encoderAttentionType());
        assertEquals("gelu_new", PretrainedConfig.fromMap(Map.of("feed_forward_proj", "gated-gelu"),
                LongT5Config.class).denseActFn());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PretrainedConfig.fromMap(Map.of("encoder_attention_type", "global"), LongT5Config.class));
        assertTrue(e.getMessage().contains("transient-global"), e.getMessage());
    }

    @Test
    void globalBlockIdsFollowPython() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mask = m.create(new long[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0},
                    new Shape(2, 10));
            LongT5Blocks.GlobalBlockIds ids = LongT5Blocks.makeGlobalFixedBlockIds(mask, 4);
            // row 0: blocks of 4, the 2 orphan tokens join block 1; row 1: 5 real tokens -> one full block, the
            // fifth joins it, padding is -1
            assertArrayEquals(new long[] {0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1},
                    ids.blockIds().toLongArray());
            assertArrayEquals(new long[] {1, 1, 1, 0}, ids.globalSegmentIds().toLongArray());
            NDArray side = LongT5Blocks.makeSideRelativePositionIds(ids); // (2, 10, 2)
            assertArrayEquals(new long[] {2, 10, 2}, side.getShape().getShape());
            assertArrayEquals(new long[] {-1, 0}, side.get(new NDIndex("0, 9")).toLongArray());
        }
    }

    @Test
    void localAttentionOnlySeesTheRadius() {
        // 2 layers of radius 3: a change at token 0 reaches tokens 0..6 at most; the others are bit-identical.
        try (LongT5EncoderModel model = PreTrainedModel.fromConfig(LongT5EncoderModel.CLASS, tinyConfig("local"), 3,
                Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = randomIds(m, 1, 30, 1);
            NDArray changed = ids.duplicate();
            changed.set(new NDIndex("0, 0"), 1L);
            BaseModelOutput a = model.forward(ModelInputs.builder().inputIds(ids).outputAttentions(true).build());
            NDArray b = model.forward(changed, null).lastHiddenState();
            assertEquals(0.0, maxAbsDiff(a.lastHiddenState().get(new NDIndex(":, 7:")), b.get(new NDIndex(":, 7:"))));
            assertTrue(maxAbsDiff(a.lastHiddenState().get(new NDIndex(":, :4")), b.get(new NDIndex(":, :4"))) > 1e-4);
            // block-shaped weights: 30 tokens -> 8 blocks of 4, each query over 3 * 4 keys
            assertArrayEquals(new long[] {1, 8, 4, 4, 12}, a.attentions().get(0).getShape().getShape());
        }
    }

    @Test
    void paddingDoesNotChangeRealTokens() {
        for (String attention : List.of("local", "transient-global")) {
            try (LongT5EncoderModel model = PreTrainedModel.fromConfig(LongT5EncoderModel.CLASS,
                    tinyConfig(attention), 5, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
                NDArray ids = randomIds(m, 1, 13, 2);
                NDArray alone = model.forward(ids, null).lastHiddenState();
                NDArray padded = NDArrays.concat(new NDList(ids, m.zeros(new Shape(1, 9), ids.getDataType())), 1);
                NDArray mask = NDArrays.concat(new NDList(m.ones(new Shape(1, 13), ids.getDataType()),
                        m.zeros(new Shape(1, 9), ids.getDataType())), 1);
                NDArray out = model.forward(padded, mask).lastHiddenState();
                assertClose(attention + ": real tokens of the padded input", out.get(new NDIndex(":, :13")), alone,
                        1e-5, 1e-5);
            }
        }
    }

    @Test
    void transientGlobalTokensCarryInformationAcrossTheSequence() {
        // Unlike local attention, global tokens summarise every block: a change at token 0 reaches token 20.
        try (LongT5EncoderModel model = PreTrainedModel.fromConfig(LongT5EncoderModel.CLASS,
                tinyConfig("transient-global"), 3, Device.cpu()); NDManager m = NDManager.newBaseManager()) {
            NDArray ids = randomIds(m, 1, 24, 4);
            NDArray changed = ids.duplicate();
            changed.set(new NDIndex("0, 0"), 1L);
            BaseModelOutput a = model.forward(ModelInputs.builder().inputIds(ids).outputAttentions(true).build());
            NDArray b = model.forward(changed, null).lastHiddenState();
            assertTrue(maxAbsDiff(a.lastHiddenState().get(new NDIndex(":, 20:")), b.get(new NDIndex(":, 20:"))) > 1e-6);
            // 24 tokens -> 6 blocks of 4; keys: 3 * 4 local + 24 / 4 global
            assertArrayEquals(new long[] {1, 6, 4, 4, 18}, a.attentions().get(1).getShape().getShape());
        }
    }

    @Test
    void decoderWithCacheEqualsFullDecoderForward() {
        try (LongT5ForConditionalGeneration model = PreTrainedModel.fromConfig(LongT5ForConditionalGeneration.CLASS,
                tinyConfig("transient-global"), 9, Device.cpu());
                NDManager m = NDManager.newBaseManager()) {
            NDArray ids = randomIds(m, 2, 19, 5);
            NDArray mask = m.ones(new Shape(2, 19), ids.getDataType());
            mask.set(new NDIndex("1, 15:"), 0L);
            NDArray dec = randomIds(m, 2, 6, 6);
            Seq2SeqLMOutput full = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                    .decoderInputIds(dec).useCache(false).build());
            BaseModelOutput enc = model.encode(ids, mask);
            assertClose("encode", enc.lastHiddenState(), full.encoderLastHiddenState(), 1e-6, 1e-6);
            List<NDArray[]> past = null;
            NDList steps = new NDList();
            for (int t = 0; t < 6; t++) {
                Seq2SeqLMOutput o = model.decode(dec.get(new NDIndex(":, {}:{}", t, t + 1)), null,
                        enc.lastHiddenState(), mask, past);
                steps.add(o.logits());
                past = o.pastKeyValues();
            }
            assertClose("decode steps", NDArrays.concat(steps, 1), full.logits(), 1e-5, 1e-5);
            assertArrayEquals(new long[] {2, 4, 19, 8}, past.get(1)[2].getShape().getShape());
            // labels: shifted decoder inputs and the mean cross-entropy
            Seq2SeqLMOutput withLabels = model.forward(ModelInputs.builder().inputIds(ids).attentionMask(mask)
                    .labels(dec).build());
            NDArray shifted = model.shiftRight(dec);
            assertClose("teacher forcing", withLabels.logits(), model.forward(ModelInputs.builder().inputIds(ids)
                    .attentionMask(mask).decoderInputIds(shifted).build()).logits(), 0, 0);
            assertTrue(withLabels.loss().getFloat() > 0);
        }
    }
}
