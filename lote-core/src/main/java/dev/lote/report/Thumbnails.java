package dev.lote.report;

import dev.lote.image.BadImageException;
import dev.lote.image.Decoder;
import dev.lote.image.Header;
import dev.lote.image.Pixels;
import dev.lote.image.Resize;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Base64;
import javax.imageio.ImageIO;

/** Small JPEG copies of images as data URIs, so the report carries its pictures inside. */
final class Thumbnails {
    private Thumbnails() {}

    /** The image shrunk to fit {@code box}×{@code box}, or null when it cannot be read (the report says so). */
    static String dataUri(Decoder decoder, Path file, int box) {
        try {
            Header h = decoder.header(file);
            double scale = Math.min(1.0, box / (double) Math.max(h.width(), h.height()));
            int w = Math.max(1, (int) Math.round(h.width() * scale)), ht = Math.max(1, (int) Math.round(h.height() * scale));
            Pixels px = decoder.read(file, ht, w, Resize.STRETCH);
            BufferedImage img = new BufferedImage(px.width(), px.height(), BufferedImage.TYPE_3BYTE_BGR);
            byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            byte[] rgb = px.rgb();
            for (int i = 0; i < rgb.length; i += 3) {
                bgr[i] = rgb[i + 2];
                bgr[i + 1] = rgb[i + 1];
                bgr[i + 2] = rgb[i];
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(img, "jpeg", out);
            return "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
        } catch (BadImageException | IOException e) {
            return null;
        }
    }
}
