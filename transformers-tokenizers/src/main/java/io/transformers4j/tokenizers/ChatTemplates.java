package io.transformers4j.tokenizers;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Chat templates rendered with a real Jinja engine (jinjava) set up like Python's
 * {@code ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)} with the {@code raise_exception}
 * global. The template sees {@code messages}, {@code add_generation_prompt}, the special tokens by attribute name
 * ({@code bos_token}, {@code eos_token}, ...) and any extra variables, which win over the special tokens as in Python.
 */
public final class ChatTemplates {
    private ChatTemplates() {}

    /** Python's base-class default: ChatML without BOS/EOS. */
    public static final String CHATML = "{% for message in messages %}"
            + "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
            + "{% endfor %}"
            + "{% if add_generation_prompt %}"
            + "{{ '<|im_start|>assistant\n' }}"
            + "{% endif %}";

    /** What a rendering returns: the text, and its ids when it was tokenized. */
    public record Result(String text, long[] inputIds) {
    }

    /**
     * Arguments of {@code apply_chat_template}: {@code chatTemplate} is a template or the name of one of the
     * tokenizer's named templates (null: the tokenizer's own); {@code variables} are the extra kwargs the template
     * sees.
     */
    public record Options(boolean addGenerationPrompt, boolean tokenize, String chatTemplate,
            Map<String, ?> variables, EncodeOptions encodeOptions) {
        public Options {
            variables = variables == null ? Map.of() : variables;
            encodeOptions = encodeOptions == null ? EncodeOptions.defaults() : encodeOptions;
        }

        public static Options of(boolean addGenerationPrompt) {
            return new Options(addGenerationPrompt, false, null, Map.of(), null);
        }

        public Options withTokenize(boolean t) {
            return new Options(addGenerationPrompt, t, chatTemplate, variables, encodeOptions);
        }

        public Options withChatTemplate(String t) {
            return new Options(addGenerationPrompt, tokenize, t, variables, encodeOptions);
        }

        public Options withVariables(Map<String, ?> v) {
            return new Options(addGenerationPrompt, tokenize, chatTemplate, v, encodeOptions);
        }

        public Options withEncodeOptions(EncodeOptions e) {
            return new Options(addGenerationPrompt, tokenize, chatTemplate, variables, e);
        }
    }

    /** Thrown when a template fails: its {@code raise_exception(...)} fired, or the template is not valid Jinja. */
    public static final class TemplateException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final int line;

        TemplateException(String message, int line) {
            super(message);
            this.line = line;
        }

        /** The template line at fault (1-based), or -1 when unknown. */
        public int line() {
            return line;
        }
    }

    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();
    private static final Jinjava JINJA = newEngine(true);
    /** Same engine without trimming: jinjava counts lines after trimming, so errors are located with this one. */
    private static final Jinjava JINJA_LINES = newEngine(false);

    private static Jinjava newEngine(boolean trim) {
        JinjavaConfig cfg = JinjavaConfig.newBuilder().withTrimBlocks(trim).withLstripBlocks(trim).build();
        Jinjava j = new Jinjava(cfg);
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplates.class,
                "raiseException", String.class));
        return j;
    }

    /** The {@code raise_exception} global: records the message and aborts rendering. */
    public static String raiseException(String message) {
        if (RAISED.get() == null) {
            // Python stops at the first raise; jinjava may go on rendering, so keep the first message only.
            RAISED.set(message == null ? "" : message);
        }
        throw new IllegalStateException("TemplateError: " + message);
    }

    static String pick(PreTrainedTokenizer tok, String requested) {
        Object own = tok.chatTemplate();
        if (own instanceof Map<?, ?> named) {
            if (requested != null && named.containsKey(requested)) {
                return named.get(requested).toString();
            }
            if (requested == null && named.containsKey("default")) {
                return named.get("default").toString();
            }
            if (requested == null) {
                throw new IllegalArgumentException("This model has multiple chat templates with no default specified!"
                        + " Please either pass a chat template or the name of the template you wish to use to the"
                        + " `chat_template` argument. Available template names are "
                        + new TreeSet<>(named.keySet().stream().map(Object::toString).toList()) + ".");
            }
            return requested;
        }
        if (requested != null) {
            return requested;
        }
        if (own != null) {
            return own.toString();
        }
        tok.warnOnce("default-chat-template", "No chat template is defined for this tokenizer - using the default"
                + " template for the " + tok.tokenizerClass() + " class. If the default is not appropriate for your"
                + " model, please set `tokenizer.chat_template` to an appropriate template.");
        return tok.defaultChatTemplate();
    }

    static String render(PreTrainedTokenizer tok, List<? extends Map<String, ?>> messages, Options options) {
        String template = pick(tok, options.chatTemplate());
        Map<String, Object> ctx = new HashMap<>();
        tok.specialTokensMap().forEach(ctx::put);
        ctx.putAll(options.variables());
        List<Map<String, ?>> msgs = new ArrayList<>();
        for (Map<String, ?> m : messages) {
            msgs.add(new HashMap<>(m));
        }
        ctx.put("messages", msgs);
        ctx.put("add_generation_prompt", options.addGenerationPrompt());
        return render(template, ctx);
    }

    /** Renders {@code template} with {@code context}; fails with the raised message or the faulty line. */
    public static String render(String template, Map<String, ?> context) {
        RAISED.remove();
        RenderResult r;
        try {
            r = JINJA.renderForResult(template, new HashMap<>(context));
        } catch (RuntimeException e) {
            String raised = RAISED.get();
            RAISED.remove();
            if (raised != null) {
                throw new TemplateException("TemplateError: " + raised, -1);
            }
            throw new TemplateException("Invalid chat template: " + e.getMessage(), -1);
        }
        String raised = RAISED.get();
        RAISED.remove();
        if (raised != null) {
            throw new TemplateException("TemplateError: " + raised, lineOf(r, "raise_exception"));
        }
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                int line = trueLine(template, context, e);
                RAISED.remove();
                throw new TemplateException("Invalid chat template at line " + line + ": " + e.getMessage(), line);
            }
        }
        return r.getOutput();
    }

    private static int trueLine(String template, Map<String, ?> context, TemplateError first) {
        try {
            RenderResult r = JINJA_LINES.renderForResult(template, new HashMap<>(context));
            for (TemplateError e : r.getErrors()) {
                if (e.getSeverity() == TemplateError.ErrorType.FATAL && e.getReason() == first.getReason()) {
                    return e.getLineno();
                }
            }
        } catch (RuntimeException ignored) {
            // fall back to jinjava's own count
        }
        return first.getLineno();
    }

    private static int lineOf(RenderResult r, String what) {
        for (TemplateError e : r.getErrors()) {
            if (String.valueOf(e.getFieldName()).contains(what) || String.valueOf(e.getMessage()).contains(what)) {
                return e.getLineno();
            }
        }
        return -1;
    }
}
