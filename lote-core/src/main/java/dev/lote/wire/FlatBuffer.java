package dev.lote.wire;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * A small FlatBuffers writer (what TensorFlow Lite files are): tables of numbered fields, vectors and strings, built as
 * a tree and laid out front to back, each object after the one that points to it (FlatBuffers' offsets are unsigned
 * and point forward), every value aligned to its size from the start of the file.
 */
public final class FlatBuffer {
    private FlatBuffer() {}

    /** A table: fields by their schema id; absent fields take the schema's default. */
    public static final class Table {
        private final List<Object[]> fields = new ArrayList<>(); // {id, value}: Byte, Short, Integer, Float, Long or an object

        public Table i8(int id, int v) { fields.add(new Object[] {id, (byte) v}); return this; }
        public Table i32(int id, int v) { fields.add(new Object[] {id, v}); return this; }
        public Table f32(int id, float v) { fields.add(new Object[] {id, v}); return this; }
        /** A table, vector or string field. */
        public Table ref(int id, Object v) { fields.add(new Object[] {id, v}); return this; }
    }

    /** A vector of scalars as little-endian bytes; its data starts on a multiple of {@code align} (4 or more). */
    public record Scalars(byte[] data, int count, int align) {}

    public static Scalars ints(int... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) b.putInt(x);
        return new Scalars(b.array(), v.length, 4);
    }

    public static Scalars bytes(byte[] v, int align) { return new Scalars(v, v.length, align); }

    /** The file: {@code root} with a 4-letter identifier after the root offset. */
    public static byte[] write(Table root, String identifier) {
        Writer w = new Writer();
        w.u32(0);
        w.raw(identifier.getBytes(StandardCharsets.US_ASCII));
        w.later.add(new Object[] {0, root});
        while (!w.later.isEmpty()) {
            Object[] next = w.later.poll();
            int at = w.place(next[1]);
            w.patch((int) next[0], at - (int) next[0]);
        }
        return w.out.toByteArray();
    }

    private static final class Writer {
        final Growing out = new Growing();
        final ArrayDeque<Object[]> later = new ArrayDeque<>(); // {where the offset goes, the object}

        int pos() { return out.size(); }
        void pad(int align) { while (pos() % align != 0) out.write(0); }
        void raw(byte[] b) { out.write(b, 0, b.length); }
        void u16(int v) { out.write(v & 0xff); out.write((v >>> 8) & 0xff); }
        void u32(int v) { for (int i = 0; i < 4; i++) out.write((v >>> (8 * i)) & 0xff); }
        void patch(int at, int v) { out.set(at, v); }

        /** Writes {@code o} here; returns where it starts (a vector or string: its length). */
        int place(Object o) {
            if (o instanceof String s) {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                return vector(utf8, utf8.length, 4, true);
            }
            if (o instanceof Scalars s) return vector(s.data(), s.count(), s.align(), false);
            if (o instanceof List<?> tables) { // a vector of tables: offsets, each filled when its table is placed
                pad(4);
                int start = pos();
                u32(tables.size());
                for (Object t : tables) {
                    later.add(new Object[] {pos(), t});
                    u32(0);
                }
                return start;
            }
            return table((Table) o);
        }

        int vector(byte[] data, int count, int align, boolean nul) {
            while ((pos() + 4) % align != 0 || pos() % 4 != 0) out.write(0);
            int start = pos();
            u32(count);
            raw(data);
            if (nul) out.write(0);
            return start;
        }

        int table(Table t) {
            int maxId = -1;
            for (Object[] f : t.fields) maxId = Math.max(maxId, (int) f[0]);
            // the table's inline part: soffset to the vtable, then the fields, each aligned to its size (from the file's start)
            int vtableSize = 4 + 2 * (maxId + 1);
            pad(2);
            int vtable = pos();
            for (int i = 0; i < vtableSize; i++) out.write(0);
            pad(4);
            int table = pos();
            u32(table - vtable);
            int[] at = new int[maxId + 1];
            for (Object[] f : t.fields) {
                Object v = f[1];
                int size = v instanceof Byte ? 1 : v instanceof Short ? 2 : v instanceof Long ? 8 : 4;
                pad(size);
                at[(int) f[0]] = pos() - table;
                if (v instanceof Byte b) out.write(b);
                else if (v instanceof Integer i) u32(i);
                else if (v instanceof Float fl) u32(Float.floatToRawIntBits(fl));
                else {
                    later.add(new Object[] {pos(), v});
                    u32(0);
                }
            }
            int end = pos();
            out.set16(vtable, vtableSize);
            out.set16(vtable + 2, end - table);
            for (int i = 0; i <= maxId; i++) out.set16(vtable + 4 + 2 * i, at[i]);
            return table;
        }
    }

    /** A byte stream whose written bytes can be patched. */
    private static final class Growing extends ByteArrayOutputStream {
        void set(int at, int v) { for (int i = 0; i < 4; i++) buf[at + i] = (byte) (v >>> (8 * i)); }
        void set16(int at, int v) { buf[at] = (byte) v; buf[at + 1] = (byte) (v >>> 8); }
    }
}
