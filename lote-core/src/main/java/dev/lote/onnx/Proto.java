package dev.lote.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** A protobuf message being written: the few wire types ONNX's messages use, field by field. */
final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private void raw(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private void tag(int field, int wire) { raw(((long) field << 3) | wire); }

    Proto varint(int field, long v) {
        tag(field, 0);
        raw(v);
        return this;
    }

    Proto bytes(int field, byte[] b) {
        tag(field, 2);
        raw(b.length);
        out.writeBytes(b);
        return this;
    }

    Proto string(int field, String s) { return bytes(field, s.getBytes(StandardCharsets.UTF_8)); }

    Proto message(int field, Proto m) { return bytes(field, m.toByteArray()); }

    Proto float32(int field, float f) {
        tag(field, 5);
        int bits = Float.floatToRawIntBits(f);
        for (int i = 0; i < 4; i++) out.write((bits >>> (8 * i)) & 0xff);
        return this;
    }

    Proto packedLongs(int field, long[] v) {
        Proto p = new Proto();
        for (long x : v) p.raw(x);
        return bytes(field, p.toByteArray());
    }

    Proto packedFloats(int field, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return bytes(field, b.array());
    }

    byte[] toByteArray() { return out.toByteArray(); }
}
