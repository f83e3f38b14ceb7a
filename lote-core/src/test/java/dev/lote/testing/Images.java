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
        BufferedImage src = ImageIO.read(from.toFile());
        BufferedImage dst = new BufferedImage((int) (src.getWidth() * scale), (int) (src.getHeight() * scale), BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = dst.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, dst.getWidth(), dst.getHeight(), null);
        g.dispose();
        Files.createDirectories(to.getParent());
        ImageIO.write(dst, "jpg", to.toFile());
        return to;
    }
}
