package io.transformers4j.weights;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A restricted unpickler for the {@code data.pkl} of a {@code torch.save} archive, written in Java: the pickle is
 * interpreted into a small object model (strings, numbers, tuples, lists, dicts, {@link StorageRef}s and
 * {@link TensorRef}s) and never runs anything. Only the globals a state dict uses are accepted ({@link #GLOBALS});
 * any other ({@code os.system}, {@code builtins.eval}, ...) fails with {@link UnsafePickleException}, which is what
 * Python's {@code torch.load(weights_only=True)} does too.
 *
 * <p>Covers the opcodes of protocol 2 that {@code torch.save} emits, plus the protocol 3/4 ones a newer pickler may
 * use (FRAME, MEMOIZE, STACK_GLOBAL, SHORT_BINUNICODE, BINBYTES). Python values map to: str -> String, int -> Long
 * (BigInteger beyond 64 bits), float -> Double, bool -> Boolean, None -> null, tuple -> {@link Tuple}, list ->
 * ArrayList, dict and OrderedDict -> LinkedHashMap, bytes -> byte[].
 */
final class TorchPickle {

    /** A Python tuple. */
    record Tuple(List<Object> items) {
        Object get(int i) {
            return items.get(i);
        }

        int size() {
            return items.size();
        }

        @Override
        public String toString() {
            return describe(this);
        }
    }

    /** What an accepted global stands for. */
    enum Kind { ORDERED_DICT, REBUILD_TENSOR, REBUILD_TENSOR_V2, REBUILD_TENSOR_V3, REBUILD_PARAMETER,
        REBUILD_PARAMETER_WITH_STATE, STORAGE_TYPE, DTYPE }

    /** An accepted global; {@code dtype} is set for storage types (null for untyped storage) and dtypes. */
    record Global(String module, String name, Kind kind, DType dtype) {
        @Override
        public String toString() {
            return module + "." + name;
        }
    }

    /** A persistent id {@code ('storage', storage_type, key, location, numel)}: the zip entry {@code data/<key>}. */
    record StorageRef(String key, DType dtype, String location, long numel) {
        /** Bytes the storage holds (an untyped storage counts bytes). */
        long byteSize() {
            return dtype == null ? numel : numel * dtype.byteSize();
        }
    }

    /** {@code _rebuild_tensor_v2(storage, storage_offset, size, stride, ...)}: a strided view of a storage. */
    record TensorRef(StorageRef storage, DType dtype, long storageOffset, long[] size, long[] stride) {
        long numel() {
            long n = 1;
            for (long d : size) {
                n *= d;
            }
            return n;
        }

        boolean isContiguous() {
            long expected = 1;
            for (int i = size.length - 1; i >= 0; i--) {
                if (size[i] != 1 && stride[i] != expected) {
                    return false;
                }
                expected *= size[i];
            }
            return true;
        }

        @Override
        public String toString() {
            return "tensor(" + dtype + " " + Arrays.toString(size) + ", storage " + storage.key + ")";
        }
    }

    /** The globals a state dict needs, by "module.name". Nothing else is ever accepted. */
    static final Map<String, Global> GLOBALS;

    private static void allow(Map<String, Global> m, String module, String name, Kind kind, DType dtype) {
        m.put(module + "." + name, new Global(module, name, kind, dtype));
    }

    static {
        Map<String, Global> m = new HashMap<>();
        allow(m, "collections", "OrderedDict", Kind.ORDERED_DICT, null);
        allow(m, "torch._utils", "_rebuild_tensor", Kind.REBUILD_TENSOR, null);
        allow(m, "torch._utils", "_rebuild_tensor_v2", Kind.REBUILD_TENSOR_V2, null);
        allow(m, "torch._utils", "_rebuild_tensor_v3", Kind.REBUILD_TENSOR_V3, null);
        allow(m, "torch._utils", "_rebuild_parameter", Kind.REBUILD_PARAMETER, null);
        allow(m, "torch._utils", "_rebuild_parameter_with_state", Kind.REBUILD_PARAMETER_WITH_STATE, null);
        // Typed storages as torch.save names them in persistent ids (torch 1.6 to 2.x).
        allow(m, "torch", "DoubleStorage", Kind.STORAGE_TYPE, DType.F64);
        allow(m, "torch", "FloatStorage", Kind.STORAGE_TYPE, DType.F32);
        allow(m, "torch", "HalfStorage", Kind.STORAGE_TYPE, DType.F16);
        allow(m, "torch", "BFloat16Storage", Kind.STORAGE_TYPE, DType.BF16);
        allow(m, "torch", "LongStorage", Kind.STORAGE_TYPE, DType.I64);
        allow(m, "torch", "IntStorage", Kind.STORAGE_TYPE, DType.I32);
        allow(m, "torch", "ShortStorage", Kind.STORAGE_TYPE, DType.I16);
        allow(m, "torch", "CharStorage", Kind.STORAGE_TYPE, DType.I8);
        allow(m, "torch", "ByteStorage", Kind.STORAGE_TYPE, DType.U8);
        allow(m, "torch", "BoolStorage", Kind.STORAGE_TYPE, DType.BOOL);
        // Untyped storage: only with _rebuild_tensor_v3, which names the dtype.
        allow(m, "torch", "UntypedStorage", Kind.STORAGE_TYPE, null);
        allow(m, "torch.storage", "UntypedStorage", Kind.STORAGE_TYPE, null);
        // torch.<dtype> attributes (a torch.dtype pickles as a global).
        String[][] dtypes = {
            {"float64", "F64"}, {"double", "F64"}, {"float32", "F32"}, {"float", "F32"}, {"float16", "F16"},
            {"half", "F16"}, {"bfloat16", "BF16"}, {"int64", "I64"}, {"long", "I64"}, {"int32", "I32"},
            {"int", "I32"}, {"int16", "I16"}, {"short", "I16"}, {"int8", "I8"}, {"uint8", "U8"}, {"bool", "BOOL"},
        };
        for (String[] d : dtypes) {
            allow(m, "torch", d[0], Kind.DTYPE, DType.valueOf(d[1]));
        }
        GLOBALS = Map.copyOf(m);
    }

    private static final int MAX_KEY_DEPTH = 64;

    private final ByteBuffer in;
    private final String where;
    private final List<Object> stack = new ArrayList<>();
    private final List<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private int opStart;

    private TorchPickle(ByteBuffer pickle, String where) {
        this.in = pickle.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        this.where = where;
    }

    /**
     * Interprets {@code pickle} and returns its top-level object.
     *
     * @param where what to call the pickle in messages, e.g. {@code "pytorch_model.bin (entry archive/data.pkl)"}
     */
    static Object load(ByteBuffer pickle, String where) throws IOException {
        return new TorchPickle(pickle, where).run();
    }

    // ---------------------------------------------------------------- the interpreter

    private Object run() throws IOException {
        while (true) {
            opStart = in.position();
            if (!in.hasRemaining()) {
                throw corrupt("the pickle ends without a STOP opcode (the file is truncated)");
            }
            int op = in.get() & 0xFF;
            switch (op) {
                case 0x80: { // PROTO
                    int proto = u8();
                    if (proto > 5) {
                        throw corrupt("unsupported pickle protocol " + proto);
                    }
                    break;
                }
                case 0x95: // FRAME: a length hint only
                    bytes(8);
                    break;
                case '.': // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) {
                        throw corrupt("STOP with " + stack.size() + " objects on the stack (expected 1)");
                    }
                    return stack.get(0);
                case '(': // MARK
                    marks.add(stack.size());
                    break;
                case '0': // POP
                    pop();
                    break;
                case '1': // POP_MARK
                    popMark();
                    break;
                case '2': // DUP
                    push(peek());
                    break;
                case 'N':
                    push(null);
                    break;
                case 0x88: // NEWTRUE
                    push(Boolean.TRUE);
                    break;
                case 0x89: // NEWFALSE
                    push(Boolean.FALSE);
                    break;
                case 'J': // BININT
                    push((long) int32());
                    break;
                case 'K': // BININT1
                    push((long) u8());
                    break;
                case 'M': // BININT2
                    need(2);
                    push((long) (in.getShort() & 0xFFFF));
                    break;
                case 0x8a: // LONG1
                    push(longFrom(bytes(u8())));
                    break;
                case 0x8b: { // LONG4
                    push(longFrom(bytes(length(int32()))));
                    break;
                }
                case 'G': // BINFLOAT: big-endian double
                    push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble());
                    break;
                case 'X': // BINUNICODE
                    push(utf8(bytes(length(int32() & 0xFFFFFFFFL))));
                    break;
                case 0x8c: // SHORT_BINUNICODE
                    push(utf8(bytes(u8())));
                    break;
                case 0x8d: // BINUNICODE8
                    push(utf8(bytes(length(int64()))));
                    break;
                case 'T': // BINSTRING (Python 2 str)
                    push(new String(bytes(length(int32())), StandardCharsets.ISO_8859_1));
                    break;
                case 'U': // SHORT_BINSTRING
                    push(new String(bytes(u8()), StandardCharsets.ISO_8859_1));
                    break;
                case 'B': // BINBYTES
                    push(bytes(length(int32() & 0xFFFFFFFFL)));
                    break;
                case 'C': // SHORT_BINBYTES
                    push(bytes(u8()));
                    break;
                case 0x8e: // BINBYTES8
                    push(bytes(length(int64())));
                    break;
                case '}': // EMPTY_DICT
                    push(new LinkedHashMap<Object, Object>());
                    break;
                case ']': // EMPTY_LIST
                    push(new ArrayList<Object>());
                    break;
                case ')': // EMPTY_TUPLE
                    push(new Tuple(List.of()));
                    break;
                case 't': // TUPLE
                    push(tuple(popMark()));
                    break;
                case 0x85: // TUPLE1
                    push(tuple(popN(1)));
                    break;
                case 0x86: // TUPLE2
                    push(tuple(popN(2)));
                    break;
                case 0x87: // TUPLE3
                    push(tuple(popN(3)));
                    break;
                case 'l': // LIST
                    push(new ArrayList<>(popMark()));
                    break;
                case 'd': { // DICT
                    Map<Object, Object> d = new LinkedHashMap<>();
                    putAll(d, popMark());
                    push(d);
                    break;
                }
                case 'a': { // APPEND
                    Object v = pop();
                    list(peek(), "APPEND").add(v);
                    break;
                }
                case 'e': { // APPENDS
                    List<Object> items = popMark();
                    list(peek(), "APPENDS").addAll(items);
                    break;
                }
                case 's': { // SETITEM
                    Object v = pop();
                    Object k = pop();
                    putAll(dict(peek(), "SETITEM"), Arrays.asList(k, v));
                    break;
                }
                case 'u': { // SETITEMS
                    List<Object> items = popMark();
                    putAll(dict(peek(), "SETITEMS"), items);
                    break;
                }
                case 'q': // BINPUT
                    memo.put((long) u8(), peek());
                    break;
                case 'r': // LONG_BINPUT
                    memo.put(int32() & 0xFFFFFFFFL, peek());
                    break;
                case 'p': // PUT (text)
                    memo.put(decimalLine(), peek());
                    break;
                case 0x94: // MEMOIZE
                    memo.put((long) memo.size(), peek());
                    break;
                case 'h': // BINGET
                    push(memoGet(u8()));
                    break;
                case 'j': // LONG_BINGET
                    push(memoGet(int32() & 0xFFFFFFFFL));
                    break;
                case 'g': // GET (text)
                    push(memoGet(decimalLine()));
                    break;
                case 'c': { // GLOBAL "module\nname\n"
                    String module = asciiLine();
                    String name = asciiLine();
                    push(global(module, name));
                    break;
                }
                case 0x93: { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw corrupt("STACK_GLOBAL needs two strings, got " + describe(module) + " and " + describe(name));
                    }
                    push(global(m, n));
                    break;
                }
                case 'Q': // BINPERSID
                    push(persistentLoad(pop()));
                    break;
                case 'R': { // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    push(reduce(callable, args));
                    break;
                }
                case 'b': { // BUILD
                    Object state = pop();
                    build(peek(), state);
                    break;
                }
                default:
                    throw corrupt(String.format("unknown or unsupported pickle opcode 0x%02x", op)
                            + " (a state dict written by torch.save uses protocol 2 opcodes only)");
            }
        }
    }

    // ---------------------------------------------------------------- globals, persistent ids, calls

    private Global global(String module, String name) throws IOException {
        Global g = GLOBALS.get(module + "." + name);
        if (g == null) {
            throw new UnsafePickleException(where, module, name, opStart);
        }
        return g;
    }

    private StorageRef persistentLoad(Object pid) throws IOException {
        // torch.serialization: ('storage', storage_type, key, location, numel)
        if (!(pid instanceof Tuple t) || t.size() != 5 || !"storage".equals(t.get(0))) {
            throw corrupt("persistent id " + describe(pid) + " is not ('storage', type, key, location, numel)");
        }
        if (!(t.get(1) instanceof Global g) || g.kind() != Kind.STORAGE_TYPE) {
            throw corrupt("persistent id names " + describe(t.get(1)) + " where a storage type was expected");
        }
        if (!(t.get(2) instanceof String key) || !(t.get(3) instanceof String location)) {
            throw corrupt("persistent id " + describe(t) + " has a non-string key or location");
        }
        long numel = nonNegative(t.get(4), "storage " + key + " size");
        return new StorageRef(key, g.dtype(), location, numel);
    }

    private Object reduce(Object callable, Object args) throws IOException {
        if (!(callable instanceof Global g)) {
            throw corrupt("REDUCE calls " + describe(callable) + ", which is not a callable global");
        }
        if (!(args instanceof Tuple a)) {
            throw corrupt("REDUCE of " + g + " with arguments " + describe(args) + " (expected a tuple)");
        }
        switch (g.kind()) {
            case ORDERED_DICT: {
                Map<Object, Object> d = new LinkedHashMap<>();
                if (a.size() == 1 && a.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        List<Object> kv = p instanceof Tuple pt ? pt.items() : p instanceof List<?> l ? new ArrayList<>(l) : null;
                        if (kv == null || kv.size() != 2) {
                            throw corrupt("OrderedDict item " + describe(p) + " is not a (key, value) pair");
                        }
                        putAll(d, kv);
                    }
                } else if (a.size() != 0) {
                    throw corrupt("OrderedDict called with " + describe(a));
                }
                return d;
            }
            case REBUILD_TENSOR: // (storage, storage_offset, size, stride)
                argCount(g, a, 4, 4);
                return tensor(g, a, storageDtype(g, a));
            case REBUILD_TENSOR_V2: // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
                argCount(g, a, 6, 7);
                return tensor(g, a, storageDtype(g, a));
            case REBUILD_TENSOR_V3: { // (..., backward_hooks, dtype[, metadata])
                argCount(g, a, 7, 8);
                if (!(a.get(6) instanceof Global d) || d.kind() != Kind.DTYPE) {
                    throw corrupt(g + " has dtype argument " + describe(a.get(6)));
                }
                return tensor(g, a, d.dtype());
            }
            case REBUILD_PARAMETER: // (data, requires_grad, backward_hooks)
            case REBUILD_PARAMETER_WITH_STATE: // (data, requires_grad, backward_hooks, state)
                argCount(g, a, g.kind() == Kind.REBUILD_PARAMETER ? 3 : 4, g.kind() == Kind.REBUILD_PARAMETER ? 3 : 4);
                if (!(a.get(0) instanceof TensorRef t)) {
                    throw corrupt(g + " wraps " + describe(a.get(0)) + ", not a tensor");
                }
                return t;
            default:
                throw corrupt(g + " is not callable");
        }
    }

    private void argCount(Global g, Tuple a, int min, int max) throws IOException {
        if (a.size() < min || a.size() > max) {
            throw corrupt(g + " called with " + a.size() + " arguments (expected " + (min == max ? min : min + "-" + max) + ")");
        }
    }

    private DType storageDtype(Global g, Tuple a) throws IOException {
        if (!(a.get(0) instanceof StorageRef s)) {
            throw corrupt(g + " has storage argument " + describe(a.get(0)));
        }
        if (s.dtype() == null) {
            throw corrupt(g + " rebuilds a tensor from untyped storage " + s.key() + " without naming its dtype");
        }
        return s.dtype();
    }

    private TensorRef tensor(Global g, Tuple a, DType dtype) throws IOException {
        if (!(a.get(0) instanceof StorageRef s)) {
            throw corrupt(g + " has storage argument " + describe(a.get(0)));
        }
        long offset = nonNegative(a.get(1), "storage_offset");
        long[] size = longs(a.get(2), "size");
        long[] stride = longs(a.get(3), "stride");
        if (size.length != stride.length) {
            throw corrupt(g + " has size " + Arrays.toString(size) + " but stride " + Arrays.toString(stride));
        }
        if (s.dtype() == null && s.byteSize() % dtype.byteSize() != 0) {
            throw corrupt("untyped storage " + s.key() + " of " + s.byteSize() + " bytes does not hold whole " + dtype);
        }
        return new TensorRef(s, dtype, offset, size, stride);
    }

    private long[] longs(Object o, String what) throws IOException {
        if (!(o instanceof Tuple t)) {
            throw corrupt(what + " is " + describe(o) + ", expected a tuple of ints");
        }
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = nonNegative(t.get(i), what);
        }
        return out;
    }

    private long nonNegative(Object o, String what) throws IOException {
        if (!(o instanceof Long l) || l < 0) {
            throw corrupt(what + " is " + describe(o) + ", expected a non-negative int");
        }
        return l;
    }

    private void build(Object target, Object state) throws IOException {
        // An OrderedDict state dict carries its _metadata (module versions) as instance state; it is not needed.
        if (target instanceof Map<?, ?>) {
            return;
        }
        throw corrupt("BUILD (setting object state) on " + describe(target) + " is not supported");
    }

    // ---------------------------------------------------------------- stack and memo

    private void push(Object o) {
        stack.add(o);
    }

    private Object pop() throws IOException {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) {
            throw corrupt("stack underflow");
        }
        return stack.remove(stack.size() - 1);
    }

    private Object peek() throws IOException {
        int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
        if (stack.size() <= floor) {
            throw corrupt("stack underflow");
        }
        return stack.get(stack.size() - 1);
    }

    private List<Object> popN(int n) throws IOException {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) {
            items[i] = pop();
        }
        return Arrays.asList(items);
    }

    private List<Object> popMark() throws IOException {
        if (marks.isEmpty()) {
            throw corrupt("no MARK on the stack");
        }
        int from = marks.remove(marks.size() - 1);
        List<Object> sub = stack.subList(from, stack.size());
        List<Object> items = new ArrayList<>(sub);
        sub.clear();
        return items;
    }

    private Object memoGet(long index) throws IOException {
        if (!memo.containsKey(index)) {
            throw corrupt("memo entry " + index + " is read before it is written");
        }
        return memo.get(index);
    }

    private static Tuple tuple(List<Object> items) {
        // Not List.copyOf: a tuple may hold None (null).
        return new Tuple(Collections.unmodifiableList(new ArrayList<>(items)));
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o, String op) throws IOException {
        if (o instanceof List<?> l && !(o instanceof Tuple)) {
            return (List<Object>) l;
        }
        throw corrupt(op + " on " + describe(o) + ", which is not a list");
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dict(Object o, String op) throws IOException {
        if (o instanceof Map<?, ?> m) {
            return (Map<Object, Object>) m;
        }
        throw corrupt(op + " on " + describe(o) + ", which is not a dict");
    }

    private void putAll(Map<Object, Object> d, List<Object> kv) throws IOException {
        if (kv.size() % 2 != 0) {
            throw corrupt("odd number of items for a dict");
        }
        for (int i = 0; i < kv.size(); i += 2) {
            d.put(hashable(kv.get(i), 0), kv.get(i + 1));
        }
    }

    /**
     * Python's rule (no lists or dicts as keys, also inside tuples), which also keeps hashCode() away from cyclic
     * or absurdly deep structures a crafted pickle could build.
     */
    private Object hashable(Object k, int depth) throws IOException {
        if (depth > MAX_KEY_DEPTH) {
            throw corrupt("dict key nested deeper than " + MAX_KEY_DEPTH);
        }
        if (k instanceof Tuple t) {
            for (Object item : t.items()) {
                hashable(item, depth + 1);
            }
            return k;
        }
        if (k == null || k instanceof String || k instanceof Long || k instanceof Boolean || k instanceof Double
                || k instanceof BigInteger || k instanceof Global) {
            return k;
        }
        throw corrupt("dict key " + describe(k) + " is not hashable");
    }

    // ---------------------------------------------------------------- reading

    private void need(int n) throws IOException {
        if (in.remaining() < n) {
            throw truncated();
        }
    }

    private int u8() throws IOException {
        need(1);
        return in.get() & 0xFF;
    }

    private int int32() throws IOException {
        need(4);
        return in.getInt();
    }

    private long int64() throws IOException {
        need(8);
        return in.getLong();
    }

    private int length(long n) throws IOException {
        if (n < 0 || n > in.remaining()) {
            throw n > in.remaining() ? truncated() : corrupt("negative length " + n);
        }
        return (int) n;
    }

    private byte[] bytes(int n) throws IOException {
        need(n);
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private String asciiLine() throws IOException {
        int start = in.position();
        while (true) {
            if (!in.hasRemaining()) {
                throw truncated();
            }
            if (in.get() == '\n') {
                break;
            }
        }
        byte[] b = new byte[in.position() - start - 1];
        in.get(start, b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private long decimalLine() throws IOException {
        String s = asciiLine();
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw corrupt("memo index '" + s + "' is not a number");
        }
    }

    /** Python's LONG1/LONG4: little-endian two's complement. */
    private static Object longFrom(byte[] le) {
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger v = new BigInteger(be);
        return v.bitLength() < 64 ? (Object) v.longValue() : v;
    }

    private String utf8(byte[] b) throws IOException {
        try {
            CharBuffer c = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b));
            return c.toString();
        } catch (CharacterCodingException e) {
            throw corrupt("string is not valid UTF-8");
        }
    }

    private IOException truncated() {
        return corrupt("the pickle ends in the middle of an opcode (the file is truncated)");
    }

    private IOException corrupt(String what) {
        return new IOException("Corrupt checkpoint " + where + ": pickle byte " + opStart + ": " + what);
    }

    /** A short rendering for messages; bounded in depth and length, since a crafted pickle may be cyclic. */
    static String describe(Object o) {
        StringBuilder b = new StringBuilder();
        describe(o, b, 0);
        return b.length() > 120 ? b.substring(0, 120) + "..." : b.toString();
    }

    private static void describe(Object o, StringBuilder b, int depth) {
        if (o == null) {
            b.append("None");
        } else if (o instanceof String s) {
            b.append('\'').append(s.length() > 60 ? s.substring(0, 60) + "..." : s).append('\'');
        } else if (o instanceof byte[] bytes) {
            b.append("bytes[").append(bytes.length).append(']');
        } else if (o instanceof Map<?, ?> m) {
            b.append("dict of ").append(m.size());
        } else if (o instanceof Tuple t) {
            b.append('(');
            if (depth >= 3) {
                b.append("...");
            } else {
                for (int i = 0; i < t.size() && i < 8; i++) {
                    describe(t.get(i), b.append(i > 0 ? ", " : ""), depth + 1);
                }
                b.append(t.size() > 8 ? ", ..." : "").append(t.size() == 1 ? "," : "");
            }
            b.append(')');
        } else if (o instanceof List<?> l) {
            b.append("list of ").append(l.size());
        } else {
            b.append(o);
        }
    }
}
