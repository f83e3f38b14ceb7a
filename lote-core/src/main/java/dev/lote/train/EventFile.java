package dev.lote.train;

import dev.lote.wire.Proto;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * A TensorBoard event file ({@code events.out.tfevents.<seconds>.<host>.lote}): TFRecords of {@code Event} protobufs,
 * each framed as length, masked CRC-32C of the length, the bytes, masked CRC-32C of the bytes. Every record is
 * flushed as it is written, so a TensorBoard watching the folder sees each epoch as it ends.
 */
final class EventFile implements AutoCloseable {
    private final Path file;
    private final OutputStream out;

    EventFile(Path dir) throws IOException {
        Files.createDirectories(dir);
        long now = System.currentTimeMillis();
        String host = java.net.InetAddress.getLoopbackAddress().getHostName();
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException ignored) { // the loopback name will do
        }
        Path f = dir.resolve("events.out.tfevents." + now / 1000 + "." + host + "." + ProcessHandle.current().pid() + ".lote");
        for (int i = 1; Files.exists(f); i++) f = dir.resolve("events.out.tfevents." + now / 1000 + "." + host + "." + i + ".lote");
        file = f;
        out = Files.newOutputStream(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        write(event(0).string(3, "brain.Event:2")); // the version record TensorBoard expects first
    }

    Path file() { return file; }

    /** A scalar, as {@code tf.summary.scalar} in TF1's {@code simple_value} form (every TensorBoard reads it). */
    void scalar(String tag, long step, double value) throws IOException {
        write(event(step).message(5, new Proto().message(1, new Proto().string(1, tag).float32(2, (float) value))));
    }

    /** A PNG image of {@code height} × {@code width} RGB pixels. */
    void image(String tag, long step, byte[] png, int height, int width) throws IOException {
        Proto image = new Proto().varint(1, height).varint(2, width).varint(3, 3).bytes(4, png);
        write(event(step).message(5, new Proto().message(1, new Proto().string(1, tag).message(4, image))));
    }

    /** Markdown text, as {@code tf.summary.text}: a string tensor for the text plugin. */
    void text(String tag, long step, String markdown) throws IOException {
        Proto tensor = new Proto().varint(1, 7 /* DT_STRING */).message(2, new Proto()).string(8, markdown);
        Proto metadata = new Proto().message(1, new Proto().string(1, "text"));
        write(event(step).message(5, new Proto().message(1, new Proto().string(1, tag).message(8, tensor).message(9, metadata))));
    }

    private static Proto event(long step) {
        Proto e = new Proto().float64(1, System.currentTimeMillis() / 1000.0);
        return step == 0 ? e : e.varint(2, step);
    }

    private void write(Proto event) throws IOException {
        byte[] data = event.toByteArray();
        byte[] length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(data.length).array();
        ByteBuffer frame = ByteBuffer.allocate(8 + 4 + data.length + 4).order(ByteOrder.LITTLE_ENDIAN);
        frame.put(length).putInt(maskedCrc(length)).put(data).putInt(maskedCrc(data));
        out.write(frame.array());
        out.flush();
    }

    /** TFRecord's checksum: CRC-32C, rotated right by 15 bits plus a constant (so a CRC of CRCs is not trivial). */
    static int maskedCrc(byte[] b) {
        CRC32C crc = new CRC32C();
        crc.update(b);
        int c = (int) crc.getValue();
        return ((c >>> 15) | (c << 17)) + 0xa282ead8;
    }

    @Override public void close() throws IOException { out.close(); }
}
