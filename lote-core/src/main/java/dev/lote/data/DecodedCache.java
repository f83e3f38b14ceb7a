package dev.lote.data;

import dev.lote.image.BadImageException;
import dev.lote.image.Pixels;
import dev.lote.image.Resize;
import dev.lote.nn.Shape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Decoded, resized 8-bit pixels of every image, kept in one file so that epochs 2..N decode no image. Each image
 * has a fixed slot; a 4-byte CRC-32 per slot says it is filled (0: not yet) and is checked on every read, so a slot
 * left half-written by a crash or a power cut is decoded again, never trusted. The file's name is a hash of every
 * file's path, size and modification time, the input size and the resize policy: change any and a fresh cache is
 * made (older versions of the same cache, and caches unused for a week, are deleted; other runs' stay). Positional reads and writes (not a mapping) keep the cache out of the
 * process's resident memory; the operating system's page cache still serves it from memory when it fits.
 * Thread-safe: slots are disjoint.
 */
public final class DecodedCache implements BatchSequence.ImageSource, AutoCloseable {
    private final BatchSequence.ImageSource decoder;
    private final Map<Path, Integer> slots = new HashMap<>();
    private final Shape shape;
    private final long slotBytes;
    private final FileChannel pixels;
    private final FileChannel flags;
    private final Path file;

    private DecodedCache(Path file, List<Path> files, Shape shape, BatchSequence.ImageSource decoder) throws IOException {
        this.file = file;
        this.shape = shape;
        this.decoder = decoder;
        this.slotBytes = shape.size();
        for (int i = 0; i < files.size(); i++) slots.put(files.get(i), i);
        this.pixels = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        this.flags = FileChannel.open(Path.of(file + ".filled"), StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        var now = java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis()); // "used": a week from now it may go
        Files.setLastModifiedTime(file, now);
        Files.setLastModifiedTime(Path.of(file + ".filled"), now);
    }

    /** Opens (or creates) the cache for {@code files} under {@code dir}; refuses when the disk lacks room. */
    /**
     * Whether caching pays for a run: more than one epoch left to train, and the resized images ({@code bytes}) within
     * {@code budget} and under half the free disk where the cache would go.
     */
    public static boolean pays(long bytes, int epochsLeft, long budget, Path dir) {
        return epochsLeft > 1 && bytes <= budget && bytes * 2 < usableSpace(dir);
    }

    /** The cache's size for {@code images} images of {@code shape}: their pixels and a check per slot. */
    public static long bytes(Shape shape, int images) { return (shape.size() + 4) * images; }

    /** Free space where {@code dir} is or would be made. */
    private static long usableSpace(Path dir) {
        try {
            Path p = dir.toAbsolutePath();
            while (p != null && !Files.exists(p)) p = p.getParent();
            return p == null ? 0 : Files.getFileStore(p).getUsableSpace();
        } catch (IOException e) {
            return 0;
        }
    }

    public static DecodedCache open(Path dir, List<Path> files, Shape shape, Resize policy, BatchSequence.ImageSource decoder) {
        try {
            String dataset = Fingerprint.of(List.of(), files.isEmpty() ? "" : files.get(0).toAbsolutePath().getParent().getParent().toString());
            Path folder = dir.resolve(dataset.substring(0, 16));
            Files.createDirectories(folder);
            String config = Fingerprint.of(List.of(), "lote-cache-v2 " + shape + " " + policy).substring(0, 16);
            Path file = folder.resolve(config + "-" + Fingerprint.of(files, "").substring(0, 16) + ".pixels");
            long needed = (shape.size() + 4) * files.size();
            if (!Files.exists(file)) {
                long weekAgo = System.currentTimeMillis() - 7L * 24 * 3600 * 1000;
                try (Stream<Path> old = Files.list(folder)) {
                    // older versions of this cache (same size and policy, files since changed); other runs' caches of
                    // this folder (other sizes or policies) stay
                    for (Path p : old.toList()) if (p.getFileName().toString().startsWith(config)) Files.deleteIfExists(p);
                }
                try (Stream<Path> all = Files.walk(dir, 2)) { // any cache of any folder unused for a week
                    for (Path p : all.filter(Files::isRegularFile).toList()) {
                        if (Files.getLastModifiedTime(p).toMillis() < weekAgo) Files.deleteIfExists(p);
                    }
                }
                long free = Files.getFileStore(folder).getUsableSpace();
                if (free < needed) throw new DataException(folder, String.format(Locale.ROOT,
                        "The decoded-image cache needs %.2f GB in %s but only %.2f GB are free. Free some space, "
                                + "choose another folder with --cache DIR, or train without --cache.", needed / 1e9, folder, free / 1e9));
            }
            return new DecodedCache(file, files, shape, decoder);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot open the decoded-image cache in " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path file() { return file; }

    @Override public void readInto(Path path, byte[] buffer, int offset, Shape target) throws BadImageException {
        Integer slot = slots.get(path);
        try {
            if (slot != null && target.equals(shape)) {
                int crc = crc(slot);
                if (crc != 0) {
                    readSlot(slot, ByteBuffer.wrap(buffer, offset, Math.toIntExact(slotBytes)));
                    if (checksum(buffer, offset, Math.toIntExact(slotBytes)) == crc) return;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Decoded-image cache " + file + ": " + e.getMessage(), e);
        }
        BatchSequence.ImageSource.super.readInto(path, buffer, offset, target);
    }

    /** The slot's CRC-32 as written after its pixels; 0 when it was never filled. */
    private int crc(int slot) throws IOException {
        ByteBuffer flag = ByteBuffer.allocate(4);
        return flags.read(flag, 4L * slot) == 4 ? flag.getInt(0) : 0;
    }

    /** CRC-32 of the pixels, never 0 (0 means "unfilled"). */
    private static int checksum(byte[] b, int offset, int length) {
        java.util.zip.CRC32 c = new java.util.zip.CRC32();
        c.update(b, offset, length);
        int v = (int) c.getValue();
        return v == 0 ? 1 : v;
    }

    private void readSlot(int slot, ByteBuffer into) throws IOException {
        long at = slot * slotBytes - into.position();
        while (into.hasRemaining()) {
            if (pixels.read(into, at + into.position()) < 0) throw new IOException("cache file is shorter than its flags say");
        }
    }

    @Override public Pixels read(Path path) throws BadImageException {
        Integer slot = slots.get(path);
        if (slot == null) return decoder.read(path);
        try {
            int crc = crc(slot);
            if (crc != 0) {
                byte[] rgb = new byte[Math.toIntExact(slotBytes)];
                readSlot(slot, ByteBuffer.wrap(rgb));
                if (checksum(rgb, 0, rgb.length) == crc) return new Pixels(shape.width(), shape.height(), rgb);
            }
            Pixels px = decoder.read(path); // bad files throw here and are never marked filled
            if (px.height() == shape.height() && px.width() == shape.width()) {
                ByteBuffer buf = ByteBuffer.wrap(px.rgb());
                while (buf.hasRemaining()) pixels.write(buf, slot * slotBytes + buf.position());
                // the checksum goes after the pixels: a crash leaves the slot unfilled or failing its check
                flags.write(ByteBuffer.allocate(4).putInt(0, checksum(px.rgb(), 0, px.rgb().length)), 4L * slot);
            }
            return px;
        } catch (IOException e) {
            throw new UncheckedIOException("Decoded-image cache " + file + ": " + e.getMessage(), e);
        }
    }

    @Override public void close() {
        try {
            pixels.close();
            flags.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
