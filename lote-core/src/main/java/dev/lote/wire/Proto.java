package dev.lote.wire;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** A protobuf message being written, field by field: the few wire types ONNX's and TensorBoard's messages use. */
public final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private void raw(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private void tag(int field, int wire) { raw(((long) field << 3) | wire); }

    public Proto varint(int field, long v) {
        tag(field, 0);
        raw(v);
        return this;
    }

    public Proto bytes(int field, byte[] b) {
        tag(field, 2);
        raw(b.length);
        out.writeBytes(b);
        return this;
    }

    public Proto string(int field, String s) { return bytes(field, s.getBytes(StandardCharsets.UTF_8)); }

    public Proto message(int field, Proto m) { return bytes(field, m.toByteArray()); }

    public Proto float32(int field, float f) {
        tag(field, 5);
        int bits = Float.floatToRawIntBits(f);
        for (int i = 0; i < 4; i++) out.write((bits >>> (8 * i)) & 0xff);
        return this;
    }

    public Proto float64(int field, double d) {
        tag(field, 1);
        long bits = Double.doubleToRawLongBits(d);
        for (int i = 0; i < 8; i++) out.write((int) (bits >>> (8 * i)) & 0xff);
        return this;
    }

    public Proto packedLongs(int field, long[] v) {
        Proto p = new Proto();
        for (long x : v) p.raw(x);
        return bytes(field, p.toByteArray());
    }

    public Proto packedFloats(int field, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return bytes(field, b.array());
    }

    public byte[] toByteArray() { return out.toByteArray(); }
}
