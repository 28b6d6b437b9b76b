package io.transformers4j.tokenizers;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of a SentencePiece {@code ModelProto} the tokenizers need, read straight from the protobuf wire format
 * (no generated classes): the pieces with their types, and a copy of the model with
 * {@code normalizer_spec.add_dummy_prefix = false} (what Python's non-legacy T5/Llama tokenizers load).
 */
final class SentencePieceModel {

    /** Piece types of sentencepiece_model.proto. */
    static final int NORMAL = 1;
    static final int UNKNOWN = 2;
    static final int CONTROL = 3;
    static final int USER_DEFINED = 4;
    static final int UNUSED = 5;
    static final int BYTE = 6;

    record Piece(String piece, float score, int type) {
    }

    final Path file;
    final byte[] bytes;
    final List<Piece> pieces;
    final Map<String, Integer> pieceToId;
    /** normalizer_spec.add_dummy_prefix / remove_extra_whitespaces (both default true). */
    final boolean addDummyPrefix;
    final boolean removeExtraWhitespaces;
    final int unkId;

    private SentencePieceModel(Path file, byte[] bytes, List<Piece> pieces, boolean addDummyPrefix,
            boolean removeExtraWhitespaces) {
        this.file = file;
        this.addDummyPrefix = addDummyPrefix;
        this.removeExtraWhitespaces = removeExtraWhitespaces;
        this.bytes = bytes;
        this.pieces = Collections.unmodifiableList(pieces);
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i < pieces.size(); i++) {
            m.putIfAbsent(pieces.get(i).piece(), i);
        }
        this.pieceToId = m;
        int unk = 0;
        for (int i = 0; i < pieces.size(); i++) {
            if (pieces.get(i).type() == UNKNOWN) {
                unk = i;
                break;
            }
        }
        this.unkId = unk;
    }

    static SentencePieceModel read(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        List<Piece> pieces = new ArrayList<>();
        boolean[] flags = {true, true};
        try {
            Reader r = new Reader(b, 0, b.length);
            while (r.more()) {
                long tag = r.varint();
                int field = (int) (tag >>> 3);
                int wt = (int) (tag & 7);
                if (field == 1 && wt == 2) {
                    int len = (int) r.varint();
                    pieces.add(readPiece(new Reader(b, r.pos, r.pos + len)));
                    r.pos += len;
                } else if (field == 3 && wt == 2) {
                    int len = (int) r.varint();
                    readNormalizer(new Reader(b, r.pos, r.pos + len), flags);
                    r.pos += len;
                } else {
                    r.skip(wt);
                }
            }
        } catch (RuntimeException e) {
            throw new IOException(file + " is not a SentencePiece model: " + e.getMessage(), e);
        }
        if (pieces.isEmpty()) {
            throw new IOException(file + " is not a SentencePiece model: it holds no pieces");
        }
        return new SentencePieceModel(file, b, pieces, flags[0], flags[1]);
    }

    private static void readNormalizer(Reader r, boolean[] flags) {
        while (r.more()) {
            long tag = r.varint();
            int field = (int) (tag >>> 3);
            int wt = (int) (tag & 7);
            if ((field == 3 || field == 4) && wt == 0) {
                flags[field - 3] = r.varint() != 0;
            } else {
                r.skip(wt);
            }
        }
    }

    int type(int id) {
        return pieces.get(id).type();
    }

    private static Piece readPiece(Reader r) {
        String piece = "";
        float score = 0f;
        int type = NORMAL;
        while (r.more()) {
            long tag = r.varint();
            int field = (int) (tag >>> 3);
            int wt = (int) (tag & 7);
            if (field == 1 && wt == 2) {
                int len = (int) r.varint();
                piece = new String(r.buf, r.pos, len, StandardCharsets.UTF_8);
                r.pos += len;
            } else if (field == 2 && wt == 5) {
                score = ByteBuffer.wrap(r.buf, r.pos, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
                r.pos += 4;
            } else if (field == 3 && wt == 0) {
                type = (int) r.varint();
            } else {
                r.skip(wt);
            }
        }
        return new Piece(piece, score, type);
    }

    /**
     * This model with {@code normalizer_spec.add_dummy_prefix = false}, as Python's {@code MergeFrom} produces: the
     * field is appended to normalizer_spec (the last value of a scalar field wins in protobuf).
     */
    byte[] withoutDummyPrefix() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + 8);
        byte[] flag = {0x18, 0x00}; // field 3 (add_dummy_prefix), varint, false
        Reader r = new Reader(bytes, 0, bytes.length);
        boolean seen = false;
        while (r.more()) {
            int start = r.pos;
            long tag = r.varint();
            int field = (int) (tag >>> 3);
            int wt = (int) (tag & 7);
            if (field == 3 && wt == 2) {
                int len = (int) r.varint();
                writeVarint(out, tag);
                writeVarint(out, len + flag.length);
                out.write(bytes, r.pos, len);
                out.write(flag, 0, flag.length);
                r.pos += len;
                seen = true;
            } else {
                r.skip(wt);
                out.write(bytes, start, r.pos - start);
            }
        }
        if (!seen) {
            writeVarint(out, (3 << 3) | 2);
            writeVarint(out, flag.length);
            out.write(flag, 0, flag.length);
        }
        return out.toByteArray();
    }

    private static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static final class Reader {
        final byte[] buf;
        int pos;
        final int end;

        Reader(byte[] buf, int pos, int end) {
            if (end > buf.length || pos < 0 || pos > end) {
                throw new IllegalArgumentException("truncated message");
            }
            this.buf = buf;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new IllegalArgumentException("truncated varint at byte " + pos);
                }
                byte b = buf[pos++];
                v |= (long) (b & 0x7F) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new IllegalArgumentException("malformed varint at byte " + pos);
        }

        void skip(int wt) {
            switch (wt) {
                case 0 -> varint();
                case 1 -> pos += 8;
                case 2 -> {
                    long len = varint();
                    pos += (int) len;
                }
                case 5 -> pos += 4;
                default -> throw new IllegalArgumentException("unsupported wire type " + wt + " at byte " + pos);
            }
            if (pos > end) {
                throw new IllegalArgumentException("field runs past the end of the message");
            }
        }
    }
}
