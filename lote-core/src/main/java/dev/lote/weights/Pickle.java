package dev.lote.weights;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickle reader that accepts only what a PyTorch state dict contains: dicts and {@code OrderedDict}s of tensors
 * rebuilt by {@code torch._utils._rebuild_tensor_v2} from typed storages, with strings, numbers and tuples. Any other
 * global (say {@code os.system}) is refused before anything is called: loading weights never runs code.
 */
final class Pickle {
    /** A storage the pickle refers to by key (its bytes are a separate zip entry). */
    record Storage(String key, String dtype, long elements) {}

    /** A tensor: a view of a storage. */
    record TensorRef(Storage storage, long offset, long[] size, long[] stride) {}

    private record Global(String module, String name) {}

    private static final Object MARK = new Object();
    static final Set<String> STORAGES = Set.of("FloatStorage", "HalfStorage", "BFloat16Storage", "DoubleStorage", "LongStorage",
            "IntStorage", "ShortStorage", "ByteStorage", "CharStorage", "BoolStorage");

    private final ByteBuffer in;
    private final String source;
    private final List<Object> stack = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private Pickle(byte[] data, String source) {
        this.in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        this.source = source;
    }

    static Object load(byte[] data, String source) throws IOException { return new Pickle(data, source).run(); }

    private IOException refuse(String why) { return new IOException(source + ": refused: " + why + "; a weights file holds only tensors"); }

    private Object run() throws IOException {
        try {
            while (true) {
                int op = in.get() & 0xff;
                switch (op) {
                    case 0x80 -> in.get();                                         // PROTO
                    case 0x95 -> in.getLong();                                     // FRAME
                    case '.' -> { return pop(); }                                  // STOP
                    case 'c' -> push(global(line(), line()));                      // GLOBAL
                    case 0x93 -> { String name = (String) pop(); push(global((String) pop(), name)); } // STACK_GLOBAL
                    case '}' -> push(new LinkedHashMap<>());
                    case ']' -> push(new ArrayList<>());
                    case ')' -> push(List.of());
                    case '(' -> push(MARK);
                    case 'N' -> push(null);
                    case 0x88 -> push(true);
                    case 0x89 -> push(false);
                    case 'K' -> push((long) (in.get() & 0xff));
                    case 'M' -> push((long) (in.getShort() & 0xffff));
                    case 'J' -> push((long) in.getInt());
                    case 0x8a -> push(long1(in.get() & 0xff));
                    case 'G' -> push(ByteBuffer.wrap(bytes(8)).order(ByteOrder.BIG_ENDIAN).getDouble());
                    case 'X' -> push(new String(bytes(in.getInt()), StandardCharsets.UTF_8));
                    case 0x8c -> push(new String(bytes(in.get() & 0xff), StandardCharsets.UTF_8));
                    case 'T' -> push(new String(bytes(in.getInt()), StandardCharsets.ISO_8859_1));
                    case 'U' -> push(new String(bytes(in.get() & 0xff), StandardCharsets.ISO_8859_1));
                    case 'q' -> memo.put((long) (in.get() & 0xff), peek());
                    case 'r' -> memo.put(in.getInt() & 0xffffffffL, peek());
                    case 0x94 -> memo.put((long) memo.size(), peek());             // MEMOIZE
                    case 'h' -> push(memo.get((long) (in.get() & 0xff)));
                    case 'j' -> push(memo.get(in.getInt() & 0xffffffffL));
                    case 't' -> push(popMark());
                    case 0x85 -> push(tuple(1));
                    case 0x86 -> push(tuple(2));
                    case 0x87 -> push(tuple(3));
                    case 'a' -> { Object v = pop(); list(peek()).add(v); }
                    case 'e' -> { List<Object> items = popMark(); list(peek()).addAll(items); }
                    case 's' -> { Object v = pop(), k = pop(); dict(peek()).put(k, v); }
                    case 'u' -> {
                        List<Object> items = popMark();
                        Map<Object, Object> d = dict(peek());
                        for (int i = 0; i + 1 < items.size(); i += 2) d.put(items.get(i), items.get(i + 1));
                    }
                    case 'b' -> pop();                                             // BUILD: a dict's attributes (_metadata): not needed
                    case 'R' -> { Object args = pop(); push(call(pop(), args)); }  // REDUCE
                    case 'Q' -> push(persistent(pop()));                           // BINPERSID
                    default -> throw refuse(String.format("pickle opcode 0x%02x is not part of a state dict", op));
                }
            }
        } catch (java.nio.BufferUnderflowException e) {
            throw new EOFException(source + ": the pickle ends early");
        } catch (ClassCastException | IndexOutOfBoundsException e) {
            throw new IOException(source + ": not a state dict pickle (" + e.getMessage() + ")");
        }
    }

    private Global global(String module, String name) throws IOException {
        boolean ok = (module.equals("collections") && name.equals("OrderedDict"))
                || (module.equals("torch._utils") && (name.equals("_rebuild_tensor_v2") || name.equals("_rebuild_parameter")))
                || (module.equals("torch") && STORAGES.contains(name));
        if (!ok) throw refuse("the file asks for " + module + "." + name);
        return new Global(module, name);
    }

    @SuppressWarnings("unchecked")
    private Object call(Object f, Object args) throws IOException {
        if (!(f instanceof Global g)) throw refuse("it calls something that is not a known function");
        List<Object> a = (List<Object>) args;
        return switch (g.name()) {
            case "OrderedDict" -> new LinkedHashMap<>();
            case "_rebuild_tensor_v2" -> new TensorRef((Storage) a.get(0), (Long) a.get(1), longs(a.get(2)), longs(a.get(3)));
            case "_rebuild_parameter" -> a.get(0);
            default -> throw refuse("it calls " + g.module() + "." + g.name());
        };
    }

    private Object persistent(Object pid) throws IOException {
        if (!(pid instanceof List<?> t) || t.size() < 5 || !"storage".equals(t.get(0)) || !(t.get(1) instanceof Global g)
                || !STORAGES.contains(g.name())) throw refuse("an unknown persistent reference " + pid);
        return new Storage(String.valueOf(t.get(2)), g.name().replace("Storage", ""), ((Number) t.get(4)).longValue());
    }

    private static long[] longs(Object tuple) {
        List<?> t = (List<?>) tuple;
        long[] out = new long[t.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) t.get(i)).longValue();
        return out;
    }

    private String line() {
        StringBuilder b = new StringBuilder();
        for (byte c = in.get(); c != '\n'; c = in.get()) b.append((char) c);
        return b.toString();
    }

    private byte[] bytes(int n) throws IOException {
        if (n < 0 || n > in.remaining()) throw new EOFException(source + ": the pickle ends early");
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private long long1(int n) throws IOException {
        byte[] b = bytes(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = (v << 8) | (b[i] & 0xff);
        if (n > 0 && n < 8 && (b[n - 1] & 0x80) != 0) v -= 1L << (8 * n);
        return v;
    }

    private List<Object> tuple(int n) {
        Object[] items = new Object[n];
        for (int i = n - 1; i >= 0; i--) items[i] = pop();
        return Arrays.asList(items);
    }

    private void push(Object o) { stack.add(o); }
    private Object pop() { return stack.remove(stack.size() - 1); }
    private Object peek() { return stack.get(stack.size() - 1); }

    private List<Object> popMark() {
        int m = stack.lastIndexOf(MARK);
        List<Object> items = new ArrayList<>(stack.subList(m + 1, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object o) { return (List<Object>) o; }

    @SuppressWarnings("unchecked")
    private static Map<Object, Object> dict(Object o) { return (Map<Object, Object>) o; }
}
