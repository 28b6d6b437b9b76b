package io.transformers4j.parity;

import com.fasterxml.jackson.databind.JsonNode;
import io.transformers4j.tokenizers.AutoTokenizer;
import io.transformers4j.tokenizers.ChatTemplates;
import io.transformers4j.tokenizers.PreTrainedTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code chat-template}: renders each conversation of cases.jsonl with the folder's chat template and checks the text
 * and the ids of tokenizing it without special tokens; rows with {@code error} must raise the template's
 * {@code raise_exception} with that message.
 */
public final class ChatTemplateRunner implements CaseRunner {

    @Override
    public boolean accepts(FixtureCase c) {
        return c.kind().equals("chat-template");
    }

    @Override
    public void run(FixtureCase c) throws Exception {
        List<String> diffs = new ArrayList<>();
        int lines = 0;
        try (PreTrainedTokenizer tok = AutoTokenizer.fromPretrained(c.dir().toString(),
                TokenizerRunner.loadOptions(c))) {
            List<String> all = Files.readAllLines(c.file(c.json().path("cases").asText("cases.jsonl")),
                    StandardCharsets.UTF_8);
            for (int ln = 0; ln < all.size(); ln++) {
                if (all.get(ln).isBlank()) {
                    continue;
                }
                lines++;
                JsonNode line = TokenizerRunner.JSON.readTree(all.get(ln));
                String where = "line " + (ln + 1) + " (" + line.path("conversation").asText() + ", add_generation_prompt="
                        + line.path("add_generation_prompt").asBoolean() + ")";
                List<Map<String, Object>> messages = new ArrayList<>();
                line.get("messages").forEach(m -> messages.add(TokenizerRunner.asMap(m)));
                ChatTemplates.Options opts = ChatTemplates.Options.of(line.path("add_generation_prompt").asBoolean())
                        .withTokenize(true);
                if (line.has("error")) {
                    String expected = line.get("error").asText();
                    try {
                        ChatTemplates.Result r = tok.applyChatTemplate(messages, opts);
                        diffs.add(where + ": expected the error " + TokenizerRunner.quote(expected) + ", rendered "
                                + TokenizerRunner.quote(r.text()));
                    } catch (ChatTemplates.TemplateException e) {
                        if (!e.getMessage().equals(expected)) {
                            diffs.add(where + ": expected error " + TokenizerRunner.quote(expected) + " got "
                                    + TokenizerRunner.quote(e.getMessage()));
                        }
                    }
                    continue;
                }
                try {
                    ChatTemplates.Result r = tok.applyChatTemplate(messages, opts);
                    TokenizerRunner.str(where, "rendered", line.get("rendered"), r.text(), diffs);
                    TokenizerRunner.ids(where, "input_ids", line.get("input_ids"), r.inputIds(), diffs);
                    String plain = tok.applyChatTemplate(messages, line.path("add_generation_prompt").asBoolean());
                    TokenizerRunner.str(where, "rendered (tokenize=false)", line.get("rendered"), plain, diffs);
                } catch (RuntimeException e) {
                    diffs.add(where + ": threw " + e);
                }
            }
        }
        if (!diffs.isEmpty()) {
            throw new AssertionError(diffs.size() + " of " + lines + " conversations differ\n  "
                    + String.join("\n  ", diffs));
        }
    }
}
