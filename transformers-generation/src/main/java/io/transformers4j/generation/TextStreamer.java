package io.transformers4j.generation;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints text as soon as whole words are decoded. Port of Python's {@code TextStreamer}: tokens are decoded together
 * (so multi-token characters come out right), text is released up to the last space, in full at a newline or after
 * a CJK character, and the rest at {@link #end()}. With {@code skipPrompt} the first {@code put} (the prompt) is
 * not printed.
 */
public class TextStreamer implements BaseStreamer {
    private final TokenDecoder decoder;
    private final boolean skipPrompt;
    private final PrintStream out;
    private List<Long> tokenCache = new ArrayList<>();
    private int printLen;
    private boolean nextTokensArePrompt = true;

    public TextStreamer(TokenDecoder decoder) {
        this(decoder, false, System.out);
    }

    public TextStreamer(TokenDecoder decoder, boolean skipPrompt, PrintStream out) {
        if (decoder == null) {
            throw new IllegalArgumentException("TextStreamer needs a decoder (token ids -> text)");
        }
        this.decoder = decoder;
        this.skipPrompt = skipPrompt;
        this.out = out;
    }

    @Override
    public synchronized void put(long[] tokenIds) {
        if (skipPrompt && nextTokensArePrompt) {
            nextTokensArePrompt = false;
            return;
        }
        for (long t : tokenIds) {
            tokenCache.add(t);
        }
        String text = decoder.decode(cached());
        String printable;
        if (text.endsWith("\n")) {
            printable = text.substring(Math.min(printLen, text.length()));
            tokenCache = new ArrayList<>();
            printLen = 0;
        } else if (!text.isEmpty() && isChineseChar(text.codePointBefore(text.length()))) {
            printable = text.substring(Math.min(printLen, text.length()));
            printLen += printable.length();
        } else {
            int end = text.lastIndexOf(' ') + 1;
            printable = end > printLen ? text.substring(printLen, end) : "";
            printLen += printable.length();
        }
        onFinalizedText(printable, false);
    }

    @Override
    public synchronized void end() {
        String printable;
        if (!tokenCache.isEmpty()) {
            String text = decoder.decode(cached());
            printable = text.substring(Math.min(printLen, text.length()));
            tokenCache = new ArrayList<>();
            printLen = 0;
        } else {
            printable = "";
        }
        nextTokensArePrompt = true;
        onFinalizedText(printable, true);
    }

    /** Receives each piece of text; the default prints it (with a newline at the end of the stream). */
    protected void onFinalizedText(String text, boolean streamEnd) {
        if (streamEnd) {
            out.println(text);
        } else {
            out.print(text);
        }
        out.flush();
    }

    private long[] cached() {
        long[] a = new long[tokenCache.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = tokenCache.get(i);
        }
        return a;
    }

    /** The CJK Unified Ideographs blocks, as Python's {@code _is_chinese_char}. */
    static boolean isChineseChar(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
                || (cp >= 0x2B820 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
