package io.transformers4j.models.encoder_decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.modeling.outputs.BaseModelOutput;
import io.transformers4j.modeling.outputs.Seq2SeqLMOutput;
import io.transformers4j.tokenizers.AutoTokenizer;
import io.transformers4j.tokenizers.PreTrainedTokenizer;
import io.transformers4j.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bert2bert summarisation example of docs/encoder-decoder.md, run on a tiny random bert2bert (the generation
 * fixture encoder-decoder-bert2bert-greedy: decoder_start_token_id 2 = [CLS], eos 3 = [SEP], pad 0) with a 99-word
 * BERT vocabulary written by the test, and checked against a greedy loop written by hand over encode/decode.
 */
class Bert2BertExampleTest {

    static final String ARTICLE = "PG&E stated it scheduled the blackouts in response to forecasts for high winds "
            + "amid dry conditions. The aim is to reduce the risk of wildfires. Nearly 800 thousand customers were "
            + "scheduled to be affected by the shutoffs which were expected to last through at least midday tomorrow.";

    @TempDir Path tmp;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    // ---- the code of docs/encoder-decoder.md, unchanged ----

    static String summarize(String model, String article) throws IOException {
        // load a fine-tuned seq2seq model and corresponding tokenizer
        try (EncoderDecoderModel bert2bert = EncoderDecoderModel.fromPretrained(model);
                NDManager manager = NDManager.newBaseManager()) {
            PreTrainedTokenizer tokenizer = AutoTokenizer.fromPretrained(model);
            NDArray inputIds = manager.create(new long[][] {tokenizer.encode(article)});

            // autoregressively generate summary (uses greedy decoding by default; the checkpoint's
            // generation config may ask for beams, lengths, no_repeat_ngram_size, ...)
            try (GenerateOutput generated = bert2bert.generate(inputIds)) {
                NDArray sequences = generated.sequences();                  // (1, summary length)
                long[][] rows = {sequences.get(0).toLongArray()};
                return tokenizer.batchDecode(rows, true).get(0);            // skip_special_tokens=True
            }
        }
    }

    // ---- the check ----

    /** The generation fixture's model plus a BERT vocabulary of 99 tokens (the model's vocab_size). */
    private Path tinyBert2Bert() throws IOException {
        Path src = Path.of("..", "tests", "fixtures", "generation", "encoder-decoder-bert2bert-greedy");
        Path dir = tmp.resolve("bert2bert");
        Files.createDirectories(dir);
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors")) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        Set<String> vocab = new LinkedHashSet<>(List.of("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"));
        for (String w : ARTICLE.toLowerCase().replaceAll("([.&])", " $1 ").split("\\s+")) {
            vocab.add(w);
        }
        for (int i = 0; vocab.size() < 99; i++) {
            vocab.add("word" + i);
        }
        Files.write(dir.resolve("vocab.txt"), vocab);
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"tokenizer_class\": \"BertTokenizer\", \"do_lower_case\": true}");
        return dir;
    }

    @Test
    void summarizeRunsAndAgreesWithAHandWrittenGreedyLoop() throws IOException {
        Path dir = tinyBert2Bert();
        String summary = summarize(dir.toString(), ARTICLE);

        try (EncoderDecoderModel model = EncoderDecoderModel.fromPretrained(dir.toString());
                NDManager m = NDManager.newBaseManager()) {
            PreTrainedTokenizer tokenizer = AutoTokenizer.fromPretrained(dir.toString());
            long[] article = tokenizer.encode(ARTICLE);
            assertEquals(2, article[0], "[CLS] first");
            assertFalse(tokenizer.decode(article, true).contains("[UNK]"), "every word is in the vocabulary");

            // Greedy: start with decoder_start_token_id, take the argmax, stop at eos or max_length (20).
            NDArray inputIds = m.create(new long[][] {article});
            BaseModelOutput enc = model.encode(inputIds, null);
            List<Long> ids = new ArrayList<>(List.of((long) model.decoderStartTokenId()));
            List<NDArray[]> past = null;
            int eos = model.generationConfig().eosTokenId().get(0);
            while (ids.size() < 20) {
                NDArray last = m.create(new long[][] {{ids.get(ids.size() - 1)}});
                Seq2SeqLMOutput step = model.decode(last, null, enc.lastHiddenState(), null, past);
                long next = step.logits().get(0).get(-1).argMax().getLong();
                ids.add(next);
                past = step.pastKeyValues();
                if (next == eos) {
                    break;
                }
            }
            assertTrue(ids.size() > 2, "generated " + ids);
            String expected = tokenizer.decode(ids.stream().mapToLong(Long::longValue).toArray(), true);
            assertFalse(expected.isBlank(), "the random model emits words: " + ids);
            assertEquals(expected, summary);
        }
    }
}
