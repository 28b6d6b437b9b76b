package io.transformers4j.generation;

import java.io.PrintStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Hands the text pieces of a {@link TextStreamer} to another thread: generate() runs on one thread and the consumer
 * iterates (or streams) on another. Port of Python's {@code TextIteratorStreamer}; with a timeout, waiting longer
 * than it for the next piece throws {@link StreamerTimeoutException} (Python's {@code queue.Empty}). One consumer
 * thread iterates; the producer never blocks.
 */
public class TextIteratorStreamer extends TextStreamer implements Iterator<String>, Iterable<String> {
    private static final String STOP_SIGNAL = new String("<stop>"); // compared by identity, like Python's None

    private final BlockingQueue<String> textQueue = new LinkedBlockingQueue<>();
    private final Duration timeout;
    private String next;
    private boolean finished;

    /** Raised when no text arrives within the timeout. */
    public static final class StreamerTimeoutException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        StreamerTimeoutException(String message) {
            super(message);
        }
    }

    public TextIteratorStreamer(TokenDecoder decoder) {
        this(decoder, false, null);
    }

    /** {@code timeout} null waits forever. */
    public TextIteratorStreamer(TokenDecoder decoder, boolean skipPrompt, Duration timeout) {
        super(decoder, skipPrompt, new PrintStream(OutputStream.nullOutputStream()));
        this.timeout = timeout;
    }

    @Override
    protected void onFinalizedText(String text, boolean streamEnd) {
        textQueue.add(text);
        if (streamEnd) {
            textQueue.add(STOP_SIGNAL);
        }
    }

    @Override
    public boolean hasNext() {
        if (next != null) {
            return true;
        }
        if (finished) {
            return false;
        }
        String value;
        try {
            value = timeout == null ? textQueue.take() : textQueue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for generated text", e);
        }
        if (value == null) {
            throw new StreamerTimeoutException("TextIteratorStreamer: no text within " + timeout);
        }
        if (value == STOP_SIGNAL) {
            finished = true;
            return false;
        }
        next = value;
        return true;
    }

    @Override
    public String next() {
        if (!hasNext()) {
            throw new NoSuchElementException("the stream has ended");
        }
        String v = next;
        next = null;
        return v;
    }

    @Override
    public Iterator<String> iterator() {
        return this;
    }

    /** The text pieces as a sequential stream (blocks like the iterator). */
    public Stream<String> stream() {
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED), false);
    }
}
