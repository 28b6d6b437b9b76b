package io.transformers4j.hub;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A tqdm-like one-line download bar on stderr: {@code model.safetensors:  45%|#########           | 201M/447M
 * [00:05<00:06, 40.2MB/s]}. Redrawn in place with {@code \r} at most ten times a second; never written to stdout,
 * which belongs to the program's output.
 */
final class ProgressBar implements AutoCloseable {
    /** {@code -Dtransformers4j.progress=true} forces the bar on (e.g. in an IDE console), {@code false} off. */
    static final String PROPERTY = "transformers4j.progress";

    private static final int WIDTH = 20;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final String name;
    private final long total; // -1 when the size is unknown
    private final long initial;
    private final LongSupplier clock;
    private final long startNanos;
    private long done;
    private long lastDraw = Long.MIN_VALUE;
    private boolean closed;

    ProgressBar(PrintStream out, String name, long total, long initial, LongSupplier nanoClock) {
        this.out = out;
        this.name = shorten(name);
        this.total = total;
        this.initial = initial;
        this.done = initial;
        this.clock = nanoClock;
        this.startNanos = nanoClock.getAsLong();
    }

    /** A bar on System.err when the options and the console allow one, else null. */
    static ProgressBar start(HubOptions options, String name, long total, long initial) {
        if (!enabled(options)) {
            return null;
        }
        ProgressBar bar = new ProgressBar(System.err, name, total, initial, System::nanoTime);
        bar.draw(true);
        return bar;
    }

    static boolean enabled(HubOptions options) {
        if (!options.showProgress()) {
            return false;
        }
        String forced = System.getProperty(PROPERTY);
        if (forced != null) {
            return Boolean.parseBoolean(forced);
        }
        return stderrIsTerminal();
    }

    void advance(long bytes) {
        done += bytes;
        draw(false);
    }

    /** The download restarted from byte 0 (the server ignored the Range header). */
    void reset() {
        done = 0;
        draw(true);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            draw(true);
            out.println();
            out.flush();
        }
    }

    private void draw(boolean force) {
        long now = clock.getAsLong();
        if (!force && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        out.print("\r" + render(now));
        out.flush();
    }

    String render(long nowNanos) {
        double seconds = Math.max(1e-9, (nowNanos - startNanos) / 1e9);
        double rate = (done - initial) / seconds;
        StringBuilder sb = new StringBuilder(name).append(": ");
        if (total > 0) {
            double fraction = Math.min(1.0, (double) done / total);
            int filled = (int) Math.floor(fraction * WIDTH);
            sb.append(String.format(Locale.ROOT, "%3d%%|", (int) Math.floor(fraction * 100)))
                    .append("#".repeat(filled)).append(" ".repeat(WIDTH - filled)).append("| ")
                    .append(bytes(done)).append('/').append(bytes(total))
                    .append(" [").append(clockTime(seconds));
            if (rate > 0 && done < total) {
                sb.append('<').append(clockTime((total - done) / rate));
            }
        } else {
            sb.append(bytes(done)).append(" [").append(clockTime(seconds));
        }
        return sb.append(", ").append(bytes((long) rate)).append("B/s]").toString();
    }

    /** tqdm's unit_scale: powers of 1000, three significant digits. */
    static String bytes(long n) {
        String[] units = {"", "k", "M", "G", "T", "P"};
        double v = n;
        int u = 0;
        while (v >= 999.5 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        if (u == 0) {
            return Long.toString(n);
        }
        String digits = v >= 99.95 ? String.format(Locale.ROOT, "%.0f", v)
                : v >= 9.995 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.2f", v);
        return digits + units[u];
    }

    private static String clockTime(double seconds) {
        long s = (long) seconds;
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }

    private static String shorten(String name) {
        // Python's tqdm description keeps the end of long names, where the distinguishing part is.
        return name.length() <= 40 ? name : "(...)" + name.substring(name.length() - 35);
    }

    /**
     * Java 17 cannot ask whether stderr alone is a terminal; on Linux /proc tells where fd 2 points, elsewhere a
     * console on stdin/stdout is the best hint.
     */
    private static boolean stderrIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return System.console() != null;
        }
    }
}
