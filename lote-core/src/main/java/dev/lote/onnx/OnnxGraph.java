package dev.lote.onnx;

import dev.lote.wire.Proto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/** The nodes and initializers of an ONNX graph being written, and the protobuf pieces they are made of. */
final class OnnxGraph {
    final List<Proto> nodes = new ArrayList<>(), inits = new ArrayList<>();
    private final Map<String, String> zeroPoints = new HashMap<>();
    private int counter;

    /** Adds a node; returns the name of its output. */
    String op(String type, List<String> inputs, Proto... attrs) {
        String out = type.toLowerCase(Locale.ROOT) + "_" + counter++;
        nodes.add(node(type, inputs, out, Arrays.stream(attrs).filter(Objects::nonNull).toList()));
        return out;
    }

    static Proto node(String type, List<String> inputs, String output, List<Proto> attrs) {
        Proto n = new Proto();
        for (String i : inputs) n.string(1, i);
        n.string(2, output).string(3, output).string(4, type);
        for (Proto a : attrs) n.message(5, a);
        return n;
    }

    String init(long[] dims, float[] data) {
        String name = "w_" + counter++;
        ByteBuffer b = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(data);
        Proto t = new Proto();
        for (long d : dims) t.varint(1, d);
        inits.add(t.varint(2, 1).string(8, name).bytes(9, b.array()));
        return name;
    }

    /** An initializer of raw little-endian bytes of ONNX type {@code type} (2 uint8, 3 int8, 6 int32). */
    String raw(long[] dims, int type, byte[] data) {
        String name = "q_" + counter++;
        Proto t = new Proto();
        for (long d : dims) t.varint(1, d);
        inits.add(t.varint(2, type).string(8, name).bytes(9, data));
        return name;
    }

    /** A vector of n zeros of an int type (3: int8, 6: int32), one initializer per shape: per-channel zero points repeat. */
    String zeros(int type, int n) {
        return zeroPoints.computeIfAbsent(type + "x" + n, k -> raw(new long[] {n}, type, new byte[n * (type == 6 ? 4 : 1)]));
    }

    String scalar(float v) {
        String name = "c_" + counter++;
        inits.add(new Proto().varint(2, 1).string(8, name).packedFloats(4, new float[] {v}));
        return name;
    }

    String longs(long... v) {
        String name = "i_" + counter++;
        inits.add(new Proto().varint(1, v.length).varint(2, 7).string(8, name).packedLongs(7, v));
        return name;
    }

    static Proto attr(String name, long v) { return new Proto().string(1, name).varint(3, v).varint(20, 2); }

    static Proto attrF(String name, float v) { return new Proto().string(1, name).float32(2, v).varint(20, 1); }

    static Proto attrS(String name, String v) { return new Proto().string(1, name).string(4, v).varint(20, 3); }

    static Proto ints(String name, long... v) { return new Proto().string(1, name).packedLongs(8, v).varint(20, 7); }

    static Proto ints(String name, int... v) { return ints(name, Arrays.stream(v).asLongStream().toArray()); }

    static Proto valueInfo(String name, int elemType, long[] dims) {
        Proto shape = new Proto();
        for (long d : dims) shape.message(1, d < 0 ? new Proto().string(2, "batch") : new Proto().varint(1, d));
        Proto tensor = new Proto().varint(1, elemType).message(2, shape);
        return new Proto().string(1, name).message(2, new Proto().message(1, tensor));
    }
}
