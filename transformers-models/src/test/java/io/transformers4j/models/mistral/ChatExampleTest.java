package io.transformers4j.models.mistral;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.transformers4j.auto.AutoModelForCausalLM;
import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.generation.GenerateArgs;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.GenerationModel;
import io.transformers4j.generation.TextStreamer;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.tokenizers.AutoTokenizer;
import io.transformers4j.tokenizers.ChatTemplates;
import io.transformers4j.tokenizers.PreTrainedTokenizer;
import io.transformers4j.torch.Torch;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chat example of docs/chat.md, run on a tiny random Mistral (vocab 600) over the fixtures' small SentencePiece
 * model with Mistral-Instruct v0.2's chat template (tests/fixtures/tokenizers/chat-template-mistral-instruct-v0.2),
 * as TransformersCliTest does for {@code ./transformers generate --chat}.
 */
class ChatExampleTest {

    @TempDir Path tmp;

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    // ---- the code of docs/chat.md, unchanged ----

    /** Streams the assistant's reply to {@code out} and returns it. */
    static String chat(String model, List<Map<String, String>> messages, long seed, PrintStream out)
            throws IOException {
        PreTrainedTokenizer tokenizer = AutoTokenizer.fromPretrained(model);
        // the conversation rendered with the model's chat template, ending where the assistant's turn starts
        // (add_generation_prompt), and tokenized without adding special tokens again: the template holds them
        long[] prompt = tokenizer.applyChatTemplate(messages,
                ChatTemplates.Options.of(true).withTokenize(true)).inputIds();
        try (PreTrainedModel lm = AutoModelForCausalLM.fromPretrained(model);
                NDManager manager = NDManager.newBaseManager()) {
            NDArray inputIds = manager.create(new long[][] {prompt});          // (1, prompt length)
            // prints the words of the reply as they come; skip_prompt: not the conversation itself
            TextStreamer streamer = new TextStreamer(ids -> tokenizer.decode(ids, true), true, out);
            GenerateArgs args = GenerateArgs.builder()
                    .inputIds(inputIds).attentionMask(inputIds.onesLike())
                    .set("max_new_tokens", 256)
                    .set("do_sample", true).set("temperature", 0.7).set("top_p", 0.9)
                    .set("repetition_penalty", 1.1)
                    .seed(seed)                                               // the same seed, the same reply
                    .streamer(streamer)
                    .build();
            try (GenerateOutput generated = ((GenerationModel) lm).generate(args)) {
                long[] sequence = generated.sequences().get(0).toLongArray(); // prompt + reply
                return tokenizer.decode(Arrays.copyOfRange(sequence, prompt.length, sequence.length), true);
            }
        }
    }

    static final List<Map<String, String>> MESSAGES = List.of(
            Map.of("role", "user", "content", "What is your favourite condiment?"),
            Map.of("role", "assistant", "content", "Well, I'm quite partial to a good squeeze of fresh lemon juice."),
            Map.of("role", "user", "content", "Do you have mayonnaise recipes?"));

    // ---- the check ----

    /** A tiny random Mistral that knows the chat tokenizer's 600 ids, saved with the tokenizer files. */
    private Path tinyChatModel() throws IOException {
        Path tok = Path.of("..", "tests", "fixtures", "tokenizers", "chat-template-mistral-instruct-v0.2");
        Path dir = tmp.resolve("tiny-mistral-instruct");
        Files.createDirectories(dir);
        for (String f : List.of("tokenizer.model", "tokenizer_config.json", "special_tokens_map.json")) {
            Files.copy(tok.resolve(f), dir.resolve(f));
        }
        MistralConfig config = PretrainedConfig.fromMap(Map.of("vocab_size", 600, "hidden_size", 16,
                "intermediate_size", 32, "num_hidden_layers", 2, "num_attention_heads", 4, "num_key_value_heads", 2,
                "max_position_embeddings", 512, "bos_token_id", 1, "eos_token_id", 2), MistralConfig.class);
        try (MistralForCausalLM m = PreTrainedModel.fromConfig(MistralForCausalLM.CLASS, config, 7, Device.cpu())) {
            m.savePretrained(dir);
        }
        return dir;
    }

    private static String streamed(String model, long seed, String[] reply) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            reply[0] = chat(model, MESSAGES, seed, out);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void theChatExampleStreamsTheReplyItReturns() throws IOException {
        String model = tinyChatModel().toString();
        String[] reply = new String[1];
        String printed = streamed(model, 42, reply);
        assertFalse(reply[0].isBlank(), "a reply");
        // skip_prompt: the streamer prints the reply only, all of it (the rest at end(), then a newline)
        assertEquals(reply[0] + "\n", printed);

        String[] again = new String[1];
        assertEquals(printed, streamed(model, 42, again), "the same seed gives the same reply");
        String[] other = new String[1];
        streamed(model, 7, other);
        assertNotEquals(reply[0], other[0], "sampling: another seed, another reply");
    }

    @Test
    void thePromptIsTheRenderedConversationWithTheGenerationPrompt() throws IOException {
        PreTrainedTokenizer tokenizer = AutoTokenizer.fromPretrained(tinyChatModel().toString());
        ChatTemplates.Result r = tokenizer.applyChatTemplate(MESSAGES,
                ChatTemplates.Options.of(true).withTokenize(true));
        assertEquals("<s>[INST] What is your favourite condiment? [/INST]Well, I'm quite partial to a good squeeze "
                + "of fresh lemon juice.</s>[INST] Do you have mayonnaise recipes? [/INST]", r.text());
        // one BOS (from the template), none added by the tokenizer
        assertEquals(1, r.inputIds()[0]);
        assertTrue(Arrays.stream(r.inputIds()).filter(id -> id == 1).count() == 1, Arrays.toString(r.inputIds()));
        assertArrayEquals(tokenizer.encode(r.text(), null,
                io.transformers4j.tokenizers.EncodeOptions.builder().addSpecialTokens(false).build()), r.inputIds());
    }
}
