package io.transformers4j.tokenizers;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Python's {@code LlamaTokenizer} (models/llama/tokenization_llama.py), also used by Mistral, Mixtral and Persimmon
 * checkpoints: a SentencePiece BPE model (byte fallback pieces {@code <0xNN>}), {@code <s>} prepended
 * ({@code add_bos_token}) and optionally {@code </s>} appended ({@code add_eos_token}); no pad token by default.
 */
public class LlamaTokenizer extends SentencePieceTokenizer {

    static final Map<String, String> DEFAULTS = Map.of("unk_token", "<unk>", "bos_token", "<s>", "eos_token", "</s>");

    static final String DEFAULT_SYSTEM_PROMPT = "You are a helpful, respectful and honest assistant. Always answer as"
            + " helpfully as possible, while being safe. Your answers should not include any harmful, unethical, racist,"
            + " sexist, toxic, dangerous, or illegal content. Please ensure that your responses are socially unbiased"
            + " and positive in nature.\n\nIf a question does not make any sense, or is not factually coherent,"
            + " explain why instead of answering something not correct. If you don't know the answer to a question,"
            + " please don't share false information.";

    protected final boolean addBosToken;
    protected final boolean addEosToken;
    protected final boolean useDefaultSystemPrompt;

    public LlamaTokenizer(ObjectNode config, Path directory) throws IOException {
        super(config, directory, "tokenizer.model");
        addBosToken = config.path("add_bos_token").asBoolean(true);
        addEosToken = config.path("add_eos_token").asBoolean(false);
        useDefaultSystemPrompt = config.path("use_default_system_prompt").asBoolean(false);
        cleanUpTokenizationSpaces = false;
        initTokens(DEFAULTS);
    }

    @Override
    public long[] buildInputsWithSpecialTokens(long[] ids0, long[] ids1) {
        long[] bos = addBosToken ? new long[] {bosTokenId()} : new long[0];
        long[] eos = addEosToken ? new long[] {eosTokenId()} : new long[0];
        long[] out = concat(bos, ids0, eos);
        return ids1 == null ? out : concat(out, bos, ids1, eos);
    }

    @Override
    public long[] createTokenTypeIdsFromSequences(long[] ids0, long[] ids1) {
        int specials = (addBosToken ? 1 : 0) + (addEosToken ? 1 : 0);
        int a = ids0.length + specials;
        long[] out = new long[a + (ids1 == null ? 0 : ids1.length + specials)];
        java.util.Arrays.fill(out, a, out.length, 1);
        return out;
    }

    @Override
    public long[] getSpecialTokensMask(long[] ids0, long[] ids1) {
        List<Long> m = new ArrayList<>();
        for (long[] ids : ids1 == null ? new long[][] {ids0} : new long[][] {ids0, ids1}) {
            if (addBosToken) {
                m.add(1L);
            }
            for (int i = 0; i < ids.length; i++) {
                m.add(0L);
            }
            if (addEosToken) {
                m.add(1L);
            }
        }
        return m.stream().mapToLong(Long::longValue).toArray();
    }

    /** Python's Llama {@code convert_tokens_to_string}: the legacy flag decides the space before special tokens. */
    @Override
    public String convertTokensToString(List<String> tokens) {
        tokens = new ArrayList<>(tokens);
        if (!tokens.isEmpty() && tokens.get(0).startsWith(SPIECE_UNDERLINE) && addPrefixSpace) {
            tokens.set(0, tokens.get(0).substring(1));
        }
        Set<String> special = allSpecialTokenSet();
        List<String> current = new ArrayList<>();
        StringBuilder out = new StringBuilder();
        boolean prevIsSpecial = false;
        for (int i = 0; i < tokens.size(); i++) {
            String token = tokens.get(i);
            if (special.contains(token)) {
                if (!prevIsSpecial && i != 0 && legacy) {
                    out.append(' ');
                }
                out.append(decodePieces(current)).append(token);
                prevIsSpecial = true;
                current = new ArrayList<>();
            } else {
                current.add(token);
                prevIsSpecial = false;
            }
        }
        out.append(decodePieces(current));
        return out.toString();
    }

    /** Python's Llama 2 default template ({@code use_default_system_prompt} picks the built-in system prompt). */
    @Override
    protected String defaultChatTemplate() {
        String template = "{% if messages[0]['role'] == 'system' %}"
                + "{% set loop_messages = messages[1:] %}"
                + "{% set system_message = messages[0]['content'] %}"
                + "{% elif USE_DEFAULT_PROMPT == true and not '<<SYS>>' in messages[0]['content'] %}"
                + "{% set loop_messages = messages %}"
                + "{% set system_message = 'DEFAULT_SYSTEM_MESSAGE' %}"
                + "{% else %}"
                + "{% set loop_messages = messages %}"
                + "{% set system_message = false %}"
                + "{% endif %}"
                + "{% for message in loop_messages %}"
                + "{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
                + "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}"
                + "{% endif %}"
                + "{% if loop.index0 == 0 and system_message != false %}"
                + "{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}"
                + "{% else %}"
                + "{% set content = message['content'] %}"
                + "{% endif %}"
                + "{% if message['role'] == 'user' %}"
                + "{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}"
                + "{% elif message['role'] == 'system' %}"
                + "{{ '<<SYS>>\\n' + content.strip() + '\\n<</SYS>>\\n\\n' }}"
                + "{% elif message['role'] == 'assistant' %}"
                + "{{ ' '  + content.strip() + ' ' + eos_token }}"
                + "{% endif %}"
                + "{% endfor %}";
        template = template.replace("USE_DEFAULT_PROMPT", useDefaultSystemPrompt ? "true" : "false");
        String msg = DEFAULT_SYSTEM_PROMPT.replace("\n", "\\n").replace("'", "\\'");
        return template.replace("DEFAULT_SYSTEM_MESSAGE", msg);
    }
}
