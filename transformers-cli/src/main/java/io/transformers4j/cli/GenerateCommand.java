package io.transformers4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.transformers4j.auto.AutoModelForCausalLM;
import io.transformers4j.generation.GenerateArgs;
import io.transformers4j.generation.GenerateOutput;
import io.transformers4j.generation.GenerationModel;
import io.transformers4j.generation.TextStreamer;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.tokenizers.AutoTokenizer;
import io.transformers4j.tokenizers.EncodeOptions;
import io.transformers4j.tokenizers.PreTrainedTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code transformers generate}: text generation with a causal LM, from a raw prompt or a chat message rendered
 * through the tokenizer's chat template; greedy by default, sampling options as Python's generate kwargs, and
 * {@code --stream} to print words as they are generated (a TextStreamer).
 */
final class GenerateCommand {
    private GenerateCommand() {}

    static final String USAGE = "transformers generate --model REPO_OR_DIR (--prompt TEXT | --chat MESSAGE [--system TEXT]) "
            + "[--max-new-tokens N] [--do-sample] [--temperature T] [--top-k K] [--top-p P] "
            + "[--repetition-penalty R] [--num-beams N] [--seed S] [--dtype float32|bfloat16|float16|auto] "
            + "[--cache-implementation static] [--stream]";

    static int run(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args a = Args.parse(argv, 1, Set.of("model", "prompt", "chat", "system", "max-new-tokens", "temperature",
                "top-k", "top-p", "repetition-penalty", "num-beams", "seed", "dtype", "cache-implementation"),
                Set.of("do-sample", "stream"));
        String model = a.get("model", null);
        if (model == null) {
            throw new Args.UsageException("generate needs --model (a causal LM: repo id or folder)");
        }
        if (a.options.containsKey("prompt") == a.options.containsKey("chat")) {
            throw new Args.UsageException("generate needs exactly one of --prompt TEXT or --chat MESSAGE");
        }
        PreTrainedTokenizer tokenizer = AutoTokenizer.fromPretrained(model);
        long[] ids;
        if (a.options.containsKey("chat")) {
            List<Map<String, String>> messages = a.options.containsKey("system")
                    ? List.of(Map.of("role", "system", "content", a.get("system", "")),
                            Map.of("role", "user", "content", a.get("chat", "")))
                    : List.of(Map.of("role", "user", "content", a.get("chat", "")));
            String rendered = tokenizer.applyChatTemplate(messages, true);
            // The template already holds the special tokens (bos, [INST], ...): Python tokenizes it without adding more.
            ids = tokenizer.encode(rendered, null, EncodeOptions.builder().addSpecialTokens(false).build());
        } else {
            ids = tokenizer.encode(a.get("prompt", ""));
        }
        LoadOptions options = LoadOptions.defaults().withDtype(a.get("dtype", "float32"));
        try (PreTrainedModel lm = AutoModelForCausalLM.fromPretrained(model, options);
                NDManager m = NDManager.newBaseManager()) {
            if (!(lm instanceof GenerationModel gm)) {
                throw new IllegalArgumentException(lm.getClass().getSimpleName() + " cannot generate");
            }
            NDArray input = m.create(ids).reshape(1, ids.length);
            GenerateArgs.Builder b = GenerateArgs.builder().inputIds(input).attentionMask(input.onesLike())
                    .set("max_new_tokens", a.getInt("max-new-tokens", 64));
            if (a.flag("do-sample")) {
                b.set("do_sample", true);
            }
            putDouble(a, b, "temperature", "temperature");
            putDouble(a, b, "top-p", "top_p");
            putDouble(a, b, "repetition-penalty", "repetition_penalty");
            if (a.options.containsKey("top-k")) {
                b.set("top_k", a.getInt("top-k", 50));
            }
            if (a.options.containsKey("num-beams")) {
                b.set("num_beams", a.getInt("num-beams", 1));
            }
            if (a.options.containsKey("cache-implementation")) {
                // Python's generation_config.cache_implementation: "static" preallocates the cache for the whole
                // generation (Llama), where one-token steps run as fused native layers (FusedDecoderLayer)
                // generation_config.cache_implementation: 4.39 knows "static" only (and ignores other values)
                String cache = a.get("cache-implementation", "");
                if (!cache.equals("static")) {
                    throw new Args.UsageException("--cache-implementation takes static (the one cache class "
                            + "transformers 4.39's generate sets up), got '" + cache + "'");
                }
                b.set("cache_implementation", cache);
            }
            if (a.options.containsKey("seed")) {
                b.seed(a.getInt("seed", 0));
            }
            boolean stream = a.flag("stream");
            if (stream) {
                b.streamer(new TextStreamer(t -> tokenizer.decode(t, true), true, out));
            }
            try (GenerateOutput result = gm.generate(b.build())) {
                if (!stream) {
                    long[] seq = result.sequences().toLongArray();
                    out.println(tokenizer.decode(Arrays.copyOfRange(seq, ids.length, seq.length), true));
                }
            }
        }
        return 0;
    }

    private static void putDouble(Args a, GenerateArgs.Builder b, String option, String pythonName) {
        if (a.options.containsKey(option)) {
            try {
                b.set(pythonName, Double.parseDouble(a.get(option, "")));
            } catch (NumberFormatException e) {
                throw new Args.UsageException("--" + option + " must be a number, got '" + a.get(option, "") + "'");
            }
        }
    }
}
