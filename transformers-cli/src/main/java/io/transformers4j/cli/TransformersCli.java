package io.transformers4j.cli;

import java.io.PrintStream;
import java.io.UnsupportedEncodingException;

/** The {@code transformers} command: dispatches to one sub-command per job. */
public final class TransformersCli {
    private TransformersCli() {}

    static final String HELP = String.join("\n",
            "transformers4j: Hugging Face transformers on the JVM",
            "",
            "usage:",
            "  " + EmbedCommand.EMBED_USAGE,
            "  " + EmbedCommand.SIMILARITY_USAGE,
            "  " + GenerateCommand.USAGE,
            "  " + PerplexityCommand.USAGE,
            "  " + DownloadCommand.USAGE,
            "  transformers env",
            "",
            "--model takes a hub repo id (org/name, resolved through the Hugging Face cache) or a local folder;",
            "embed and similarity default to the built-in sentence-transformers/all-MiniLM-L6-v2.",
            "Environment: HF_HOME / HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE=1, OMP_NUM_THREADS.");

    public static void main(String[] argv) throws UnsupportedEncodingException {
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        PrintStream err = new PrintStream(System.err, true, "UTF-8");
        System.exit(run(argv, out, err));
    }

    /** Runs one command; returns the exit code (0 ok, 1 failure, 2 usage error). */
    public static int run(String[] argv, PrintStream out, PrintStream err) {
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("-h") || argv[0].equals("help")) {
            out.println(HELP);
            return argv.length == 0 ? 2 : 0;
        }
        try {
            switch (argv[0]) {
                case "embed":
                    return EmbedCommand.embed(argv, out, err);
                case "similarity":
                    return EmbedCommand.similarity(argv, out);
                case "generate":
                    return GenerateCommand.run(argv, out, err);
                case "perplexity":
                    return PerplexityCommand.run(argv, out, err);
                case "download":
                    return DownloadCommand.run(argv, out);
                case "env":
                    return EnvCommand.run(out);
                default:
                    throw new Args.UsageException("unknown command '" + argv[0] + "'");
            }
        } catch (Args.UsageException e) {
            err.println("transformers: " + e.getMessage());
            err.println();
            err.println(HELP);
            return 2;
        } catch (Exception e) {
            err.println("transformers " + argv[0] + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
            if (Boolean.getBoolean("transformers4j.debug")) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }
}
