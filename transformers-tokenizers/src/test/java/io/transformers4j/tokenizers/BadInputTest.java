package io.transformers4j.tokenizers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every bad input of the issue fails with a message that says what was wrong. */
class BadInputTest {

    @TempDir
    Path tmp;

    @Test
    void noTokenizerFilesListsWhatWasLookedFor() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("config.json"), "{\"model_type\": \"bert\"}");
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> AutoTokenizer.fromPretrained(empty.toString()));
        String msg = e.getMessage();
        for (String f : List.of("tokenizer.json", "tokenizer_config.json", "vocab.txt", "vocab.json", "merges.txt",
                "spiece.model", "tokenizer.model")) {
            assertTrue(msg.contains(f), "message should name " + f + ": " + msg);
        }
    }

    @Test
    void unknownTokenizerClassListsSupportedOnes() throws IOException {
        Path dir = TokenizerTestFiles.bert(tmp.resolve("odd"), "");
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"FancyTokenizer\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AutoTokenizer.fromPretrained(dir.toString()));
        assertTrue(e.getMessage().contains("FancyTokenizer"), e.getMessage());
        for (String c : List.of("BertTokenizer", "GPT2Tokenizer", "T5Tokenizer", "LlamaTokenizer",
                "WhisperTokenizer", "BlenderbotSmallTokenizer", "Speech2Text2Tokenizer")) {
            assertTrue(e.getMessage().contains(c), "message should list " + c + ": " + e.getMessage());
        }
    }

    @Test
    void invalidJinjaNamesTheTemplateLine() {
        String template = "{% for m in messages %}\n{{ m['content'] }}\n{% endfor %}\n{% if %}oops{% endif %}";
        ChatTemplates.TemplateException e = assertThrows(ChatTemplates.TemplateException.class,
                () -> ChatTemplates.render(template, Map.of("messages", List.of())));
        assertEquals(4, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("line 4"), e.getMessage());
    }

    @Test
    void raiseExceptionCarriesTheTemplateMessage() throws IOException {
        try (PreTrainedTokenizer tok = AutoTokenizer.fromPretrained(TokenizerTestFiles.bert(tmp.resolve("b"), "")
                .toString())) {
            tok.setChatTemplate("{% if messages[0]['role'] != 'user' %}{{ raise_exception('first must be user') }}"
                    + "{% endif %}{{ messages[0]['content'] }}");
            ChatTemplates.TemplateException e = assertThrows(ChatTemplates.TemplateException.class,
                    () -> tok.applyChatTemplate(List.of(Map.of("role", "system", "content", "x")), false));
            assertEquals("TemplateError: first must be user", e.getMessage());
            assertEquals("hi", tok.applyChatTemplate(List.of(Map.of("role", "user", "content", "hi")), false));
        }
    }

    @Test
    void paddingWithoutPadTokenFailsWithPythonsMessage() throws IOException {
        try (PreTrainedTokenizer tok = AutoTokenizer.fromPretrained(TokenizerTestFiles.gpt2(tmp.resolve("g"))
                .toString())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> tok.batchEncodePlus(
                    List.of("hello", "he"), EncodeOptions.builder().padding(true).build()));
            assertEquals("Asking to pad but the tokenizer does not have a padding token. Please select a token to use"
                    + " as `pad_token` `(tokenizer.pad_token = tokenizer.eos_token e.g.)` or add a new pad token via"
                    + " `tokenizer.add_special_tokens({'pad_token': '[PAD]'})`.", e.getMessage());
            tok.setPadToken(tok.eosToken());
            BatchEncoding b = tok.batchEncodePlus(List.of("hello", "he"), EncodeOptions.builder().padding(true)
                    .build());
            assertEquals(b.row(0).inputIds().length, b.row(1).inputIds().length);
        }
    }

    @Test
    void truncationAndPaddingMultipleMustAgree() throws IOException {
        try (PreTrainedTokenizer tok = AutoTokenizer.fromPretrained(TokenizerTestFiles.bert(tmp.resolve("m"), "")
                .toString())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tok.encodePlus("a b c",
                    null, EncodeOptions.builder().padding("max_length").truncation(true).maxLength(6)
                            .padToMultipleOf(4).build()));
            assertTrue(e.getMessage().contains("not a multiple of pad_to_multiple_of (4)"), e.getMessage());
        }
    }

    @Test
    void corruptSentencePieceModelNamesTheFile() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sp"));
        Files.write(dir.resolve("spiece.model"), "not a model".getBytes(StandardCharsets.UTF_8));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"tokenizer_class\": \"T5Tokenizer\"}");
        IOException e = assertThrows(IOException.class, () -> AutoTokenizer.fromPretrained(dir.toString()));
        assertTrue(e.getMessage().contains("spiece.model"), e.getMessage());
    }
}
