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
 * has a fixed slot; a one-byte flag per slot says it is filled. The file's name is a hash of every file's path,
 * size and modification time, the input size and the resize policy: change any and a fresh cache is made (older
 * ones of the same folder are deleted). Positional reads and writes (not a mapping) keep the cache out of the
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
    }

    /** Opens (or creates) the cache for {@code files} under {@code dir}; refuses when the disk lacks room. */
    public static DecodedCache open(Path dir, List<Path> files, Shape shape, Resize policy, BatchSequence.ImageSource decoder) {
        try {
            String dataset = Fingerprint.of(List.of(), files.isEmpty() ? "" : files.get(0).toAbsolutePath().getParent().getParent().toString());
            Path folder = dir.resolve(dataset.substring(0, 16));
            Files.createDirectories(folder);
            String key = Fingerprint.of(files, "lote-cache-v1 " + shape + " " + policy);
            Path file = folder.resolve(key.substring(0, 32) + ".pixels");
            long needed = (shape.size() + 1) * files.size();
            if (!Files.exists(file)) {
                try (Stream<Path> old = Files.list(folder)) { // earlier versions of this folder's cache
                    for (Path p : old.toList()) Files.deleteIfExists(p);
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
            if (slot != null && target.equals(shape) && filled(slot)) {
                readSlot(slot, ByteBuffer.wrap(buffer, offset, Math.toIntExact(slotBytes)));
                return;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Decoded-image cache " + file + ": " + e.getMessage(), e);
        }
        BatchSequence.ImageSource.super.readInto(path, buffer, offset, target);
    }

    private boolean filled(int slot) throws IOException {
        ByteBuffer flag = ByteBuffer.allocate(1);
        return flags.read(flag, slot) == 1 && flag.get(0) == 1;
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
            if (filled(slot)) {
                byte[] rgb = new byte[Math.toIntExact(slotBytes)];
                readSlot(slot, ByteBuffer.wrap(rgb));
                return new Pixels(shape.width(), shape.height(), rgb);
            }
            Pixels px = decoder.read(path); // bad files throw here and are never marked filled
            if (px.height() == shape.height() && px.width() == shape.width()) {
                ByteBuffer buf = ByteBuffer.wrap(px.rgb());
                while (buf.hasRemaining()) pixels.write(buf, slot * slotBytes + buf.position());
                flags.write(ByteBuffer.wrap(new byte[] {1}), slot); // after the pixels: a crash leaves the slot unfilled
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
