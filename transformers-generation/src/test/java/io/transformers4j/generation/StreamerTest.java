package io.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class StreamerTest {
    /** A toy vocabulary: token i is VOCAB[i]; decode concatenates. */
    private static final String[] VOCAB = {"Hello", " wor", "ld", ",", " how", " are", " you", "?", "\n", "你", "好"};

    private static String decode(long[] ids) {
        StringBuilder sb = new StringBuilder();
        for (long id : ids) {
            sb.append(VOCAB[(int) id]);
        }
        return sb.toString();
    }

    /** Records each piece the streamer releases. */
    private static final class Recording extends TextStreamer {
        final List<String> pieces = new ArrayList<>();

        Recording(boolean skipPrompt) {
            super(StreamerTest::decode, skipPrompt, System.out);
        }

        @Override
        protected void onFinalizedText(String text, boolean streamEnd) {
            pieces.add(streamEnd ? "[end]" + text : text);
        }
    }

    @Test
    void textStreamerReleasesWholeWords() {
        Recording s = new Recording(false);
        long[] tokens = {0, 1, 2, 3, 4, 5, 6, 7};
        for (long t : tokens) {
            s.put(new long[] {t});
        }
        s.end();
        assertEquals(List.of("", "Hello ", "", "", "world, ", "how ", "are ", "", "[end]you?"), s.pieces);
        assertEquals(decode(tokens), String.join("", s.pieces).replace("[end]", ""));
    }

    @Test
    void newlinesAndCjkFlushImmediately() {
        Recording s = new Recording(false);
        s.put(new long[] {0});
        s.put(new long[] {8});
        s.put(new long[] {9});
        s.put(new long[] {10});
        s.end();
        assertEquals(List.of("", "Hello\n", "你", "好", "[end]"), s.pieces);
    }

    @Test
    void skipPromptAndPrintStream() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        TextStreamer s = new TextStreamer(StreamerTest::decode, true, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        s.put(new long[] {0, 3});          // the prompt: skipped
        s.put(new long[] {4});
        s.put(new long[] {5});
        s.put(new long[] {6});
        s.end();
        assertEquals(" how are you" + System.lineSeparator(), bytes.toString(StandardCharsets.UTF_8));
        assertThrows(IllegalArgumentException.class, () -> new TextStreamer(null));
    }

    @Test
    void iteratorStreamerIsConsumedOnAnotherThread() throws Exception {
        TextIteratorStreamer s = new TextIteratorStreamer(StreamerTest::decode, false, Duration.ofSeconds(10));
        CompletableFuture<String> consumer = CompletableFuture.supplyAsync(() -> String.join("", s.stream().toList()));
        for (long t = 0; t < 8; t++) {
            s.put(new long[] {t});
            Thread.sleep(2);
        }
        s.end();
        assertEquals("Hello world, how are you?", consumer.get(10, TimeUnit.SECONDS));
    }

    @Test
    void iteratorStreamerTimesOut() {
        TextIteratorStreamer s = new TextIteratorStreamer(StreamerTest::decode, false, Duration.ofMillis(50));
        long t0 = System.nanoTime();
        TextIteratorStreamer.StreamerTimeoutException e =
                assertThrows(TextIteratorStreamer.StreamerTimeoutException.class, s::next);
        assertTrue(System.nanoTime() - t0 >= 40_000_000L, "waited for the timeout");
        assertTrue(e.getMessage().contains("PT0.05S"), e.getMessage());
        s.put(new long[] {0, 1});
        s.end();
        assertEquals("Hello ", s.next());
        assertEquals("wor", s.next());
        assertTrue(!s.hasNext());
    }
}
