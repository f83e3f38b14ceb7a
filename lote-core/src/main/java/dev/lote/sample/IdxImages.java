package dev.lote.sample;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.GZIPInputStream;
import javax.imageio.ImageIO;

/**
 * Converts IDX files (MNIST, Fashion-MNIST: a big-endian header, then raw bytes; optionally gzipped) into a
 * folder of class folders of PNGs that {@code lote train} reads.
 */
public final class IdxImages {
    /** Fashion-MNIST's class names, in label order. */
    public static final List<String> FASHION_MNIST = List.of("tshirt", "trouser", "pullover", "dress", "coat", "sandal",
            "shirt", "sneaker", "bag", "boot");

    private IdxImages() {}

    /** Writes {@code out/<class>/<index>.png}; {@code names} maps labels to folder names (null: the label number). */
    public static int convert(Path images, Path labels, Path out, List<String> names) {
        try {
            byte[] y = read(labels, 0x00000801, 1);
            byte[] x;
            int rows, cols;
            try (DataInputStream in = open(images)) {
                if (in.readInt() != 0x00000803) throw new IllegalArgumentException(images + " is not an IDX image file (bad magic number).");
                int n = in.readInt();
                rows = in.readInt();
                cols = in.readInt();
                if (n != y.length) throw new IllegalArgumentException(images + " has " + n + " images but " + labels + " has " + y.length + " labels.");
                x = in.readNBytes(n * rows * cols);
                if (x.length != n * rows * cols) throw new IllegalArgumentException(images + " is cut short.");
            }
            for (byte label : y) Files.createDirectories(out.resolve(name(names, label)));
            int r = rows, c = cols;
            IntStream.range(0, y.length).parallel().forEach(i -> {
                BufferedImage img = new BufferedImage(c, r, BufferedImage.TYPE_BYTE_GRAY);
                System.arraycopy(x, i * r * c, ((DataBufferByte) img.getRaster().getDataBuffer()).getData(), 0, r * c);
                try {
                    ImageIO.write(img, "png", out.resolve(name(names, y[i])).resolve(String.format("%05d.png", i)).toFile());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            return y.length;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot convert " + images + ": " + e.getMessage(), e);
        }
    }

    private static String name(List<String> names, byte label) {
        int l = label & 0xff;
        return names != null && l < names.size() ? names.get(l) : Integer.toString(l);
    }

    private static byte[] read(Path file, int magic, int dims) throws IOException {
        try (DataInputStream in = open(file)) {
            if (in.readInt() != magic) throw new IllegalArgumentException(file + " is not an IDX label file (bad magic number).");
            int n = in.readInt();
            for (int i = 1; i < dims; i++) n *= in.readInt();
            return in.readNBytes(n);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        if (file.toString().endsWith(".gz")) in = new GZIPInputStream(in, 1 << 16);
        return new DataInputStream(new java.io.BufferedInputStream(in, 1 << 16));
    }
}
