package io.transformers4j.parity;

import io.transformers4j.torch.Torch;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs every case folder under a directory through the runner of its kind and reports
 * {@code PASS <id>}, {@code FAIL <id>: <what differed>} or {@code SKIP <id>: <reason>} per case, then
 * {@code N passed, N failed, N skipped}. The JUnit suite (ParityTest) and {@code tests/run-fixtures} both use it.
 */
public final class ParityRunner {

    /** Every runner, one per kind (or family of kinds). */
    public static List<CaseRunner> runners() {
        List<CaseRunner> r = new ArrayList<>();
        r.add(new ModelForwardRunner());
        r.add(new PerplexityRunner());
        r.add(new TokenizerRunner());
        r.add(new ChatTemplateRunner());
        r.add(new LogitsProcessorRunner());
        r.add(new StoppingCriteriaRunner());
        r.add(new ConstraintRunner());
        r.add(new GenerateRunner());
        return r;
    }

    public enum Status { PASS, FAIL, SKIP }

    public record Result(String id, Status status, String message) {
        public String line() {
            return status + " " + id + (message == null || message.isEmpty() ? "" : ": " + message);
        }
    }

    /** Runs one case folder. Never throws: every problem is a FAIL with its message. */
    public static Result run(Path caseDir) {
        String id = caseDir.getFileName().toString();
        try {
            Torch.ensureThreadReady();
            FixtureCase c = FixtureCase.load(caseDir);
            id = c.id();
            for (CaseRunner runner : runners()) {
                if (runner.accepts(c)) {
                    runner.run(c);
                    return new Result(id, Status.PASS, "");
                }
            }
            return new Result(id, Status.SKIP, "no runner for kind '" + c.kind() + "' (" + c.architecture() + ")");
        } catch (CaseSkipped s) {
            return new Result(id, Status.SKIP, s.getMessage());
        } catch (AssertionError e) {
            return new Result(id, Status.FAIL, e.getMessage());
        } catch (Throwable t) {
            if (System.getenv("PARITY_TRACE") != null) {
                t.printStackTrace();
            }
            return new Result(id, Status.FAIL, t.getClass().getSimpleName() + ": " + t.getMessage());
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: run-fixtures DIR   (a folder of case folders in the tests/fixtures format)");
            System.exit(2);
        }
        Path root = Path.of(args[0]);
        if (!Files.isDirectory(root)) {
            System.err.println("run-fixtures: not a directory: " + root);
            System.exit(2);
        }
        PrintStream out = System.out;
        int pass = 0;
        int fail = 0;
        int skip = 0;
        for (Path dir : FixtureCase.discover(root)) {
            Result r = run(dir);
            out.println(r.line().replace('\n', ' '));
            out.flush();
            switch (r.status()) {
                case PASS -> pass++;
                case FAIL -> fail++;
                default -> skip++;
            }
        }
        out.println(pass + " passed, " + fail + " failed, " + skip + " skipped");
        System.exit(fail > 0 ? 1 : 0);
    }
}
