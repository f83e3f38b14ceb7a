package dev.lote.testing;

import dev.lote.sample.SampleImages;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Small generated image folders for tests. */
public final class Images {
    private Images() {}

    /** {@code root/<class>/...jpg} with the project's sample generator. */
    public static Path sampleFolder(Path root, int classes, int perClass, int height, int width) {
        SampleImages.write(root, classes, perClass, height, width, 7);
        return root;
    }

    /** A plain image file of one colour. */
    public static Path write(Path file, int height, int width, int rgb, String format) throws IOException {
        Files.createDirectories(file.getParent());
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < height; y++) for (int x = 0; x < width; x++) img.setRGB(x, y, rgb);
        if (!ImageIO.write(img, format, file.toFile())) throw new IOException("no writer for " + format);
        return file;
    }

    /** A smaller JPEG of {@code from}: the copy a user makes by exporting a photo again. */
    public static Path resizedCopy(Path from, Path to, double scale) throws IOException {
        return croppedCopy(from, to, 1, scale);
    }

    /** A JPEG of the centre {@code keep} of {@code from} (a share of each side), resized by {@code scale}. */
    public static Path croppedCopy(Path from, Path to, double keep, double scale) throws IOException {
        BufferedImage src = ImageIO.read(from.toFile());
        int w = (int) Math.round(src.getWidth() * keep), h = (int) Math.round(src.getHeight() * keep);
        int x = (src.getWidth() - w) / 2, y = (src.getHeight() - h) / 2;
        BufferedImage dst = new BufferedImage((int) (w * scale), (int) (h * scale), BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = dst.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, dst.getWidth(), dst.getHeight(), x, y, x + w, y + h, null);
        g.dispose();
        Files.createDirectories(to.getParent());
        ImageIO.write(dst, "jpg", to.toFile());
        return to;
    }
}
