package io.transformers4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.transformers4j.auto.AutoModelForCausalLM;
import io.transformers4j.evaluation.Perplexity;
import io.transformers4j.modeling.LoadOptions;
import io.transformers4j.modeling.PreTrainedModel;
import io.transformers4j.tokenizers.AutoTokenizer;
import io.transformers4j.tokenizers.EncodeOptions;
import io.transformers4j.tokenizers.PreTrainedTokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Set;

/**
 * {@code transformers perplexity}: the strided sliding-window perplexity of a causal LM over a text, as in Python's
 * perplexity guide (max_length, stride, -100 label masking).
 */
final class PerplexityCommand {
    private PerplexityCommand() {}

    static final String USAGE = "transformers perplexity --model REPO_OR_DIR (--text-file FILE | --text TEXT) "
            + "[--max-length N] [--stride N]";

    static int run(String[] argv, PrintStream out, PrintStream err) throws IOException {
        Args a = Args.parse(argv, 1, Set.of("model", "text-file", "text", "max-length", "stride"), Set.of());
        String model = a.get("model", null);
        if (model == null) {
            throw new Args.UsageException("perplexity needs --model (a causal LM: repo id or folder)");
        }
        String text;
        if (a.options.containsKey("text-file")) {
            text = Files.readString(Path.of(a.get("text-file", null)));
        } else if (a.options.containsKey("text")) {
            text = a.get("text", null);
        } else {
            throw new Args.UsageException("perplexity needs --text-file FILE or --text TEXT");
        }
        LoadOptions options = LoadOptions.defaults();
        PreTrainedTokenizer tokenizer = AutoTokenizer.fromPretrained(model);
        long[] ids = tokenizer.encode(text, null, EncodeOptions.builder().addSpecialTokens(false).build());
        if (ids.length < 2) {
            throw new Args.UsageException("the text has " + ids.length + " token(s); perplexity needs at least 2");
        }
        try (PreTrainedModel lm = AutoModelForCausalLM.fromPretrained(model, options);
                NDManager m = NDManager.newBaseManager()) {
            int maxLength = a.getInt("max-length", defaultMaxLength(lm));
            int stride = a.getInt("stride", maxLength / 2 == 0 ? 1 : maxLength / 2);
            NDArray input = m.create(ids).reshape(1, ids.length);
            ProgressLine bar = new ProgressLine(err, "perplexity");
            Perplexity.Result r = Perplexity.compute(lm, input, maxLength, stride, bar::update);
            bar.done();
            out.printf(Locale.ROOT, "perplexity: %.4f  (%d tokens, %d windows, max_length %d, stride %d)%n", r.ppl(),
                    ids.length, r.numWindows(), maxLength, stride);
        }
        return 0;
    }

    private static int defaultMaxLength(PreTrainedModel lm) {
        Object n = lm.config().toJson().get("n_positions");
        if (n == null) {
            n = lm.config().toJson().get("max_position_embeddings");
        }
        return n == null ? 1024 : ((com.fasterxml.jackson.databind.JsonNode) n).asInt(1024);
    }

    /** A one-line progress bar on stderr, redrawn in place. */
    static final class ProgressLine {
        private final PrintStream err;
        private final String label;
        private final long start = System.nanoTime();

        ProgressLine(PrintStream err, String label) {
            this.err = err;
            this.label = label;
        }

        void update(int done, int total) {
            int width = 30;
            int filled = total == 0 ? width : (int) ((long) done * width / total);
            double secs = (System.nanoTime() - start) / 1e9;
            err.printf(Locale.ROOT, "\r%s [%s%s] %d/%d windows %.1fs", label, "#".repeat(filled),
                    " ".repeat(width - filled), done, total, secs);
            err.flush();
        }

        void done() {
            err.println();
        }
    }
}
