package dev.lote.image;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * The fallback decoder and the header probe, on the JDK's ImageIO with TwelveMonkeys' plugins (lossless and CMYK
 * JPEG, TIFF, WebP). Reads from the raster, never {@code getRGB()} for component images (it brightens greyscale),
 * and treats any decoder warning as a failure, because ImageIO silently fills a truncated JPEG with grey.
 */
final class ImageIoDecoder {
    private ImageIoDecoder() {}

    static Pixels decode(Path file, byte[] bytes) throws BadImageException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new BadImageException(file, "not an image this decoder knows");
            ImageReader reader = readers.next();
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            try {
                reader.setInput(in, true, true);
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) throw new BadImageException(file, "corrupt data (" + warnings.get(0) + ")");
                return toRgb(image);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new BadImageException(file, "corrupt or unsupported (" + e.getMessage() + ")");
        }
    }

    /** Converts any ImageIO result to interleaved RGB; alpha is flattened on white, grey copied to three channels. */
    static Pixels toRgb(BufferedImage image) {
        int w = image.getWidth(), h = image.getHeight();
        byte[] rgb = new byte[w * h * 3];
        Raster raster = image.getRaster();
        if (image.getType() == BufferedImage.TYPE_3BYTE_BGR) { // the common JPEG case: swap in place, no per-pixel calls
            byte[] bgr = ((DataBufferByte) raster.getDataBuffer()).getData();
            for (int i = 0; i < rgb.length; i += 3) {
                rgb[i] = bgr[i + 2];
                rgb[i + 1] = bgr[i + 1];
                rgb[i + 2] = bgr[i];
            }
            return new Pixels(w, h, rgb);
        }
        boolean plainComponents = image.getColorModel() instanceof ComponentColorModel;
        int bands = raster.getNumBands();
        int bits = image.getColorModel().getComponentSize(0), type = raster.getDataBuffer().getDataType();
        boolean floating = type == java.awt.image.DataBuffer.TYPE_FLOAT || type == java.awt.image.DataBuffer.TYPE_DOUBLE;
        boolean unsigned32 = !floating && bits >= 32; // 32-bit TIFF samples: Java's ints are signed, 1 << 32 is 1
        double max = floating ? 1.0 : unsigned32 ? 4294967295.0 : (double) ((1L << bits) - 1);
        if (!plainComponents || bands == 2 && !image.getColorModel().hasAlpha() || bands > 4) {
            // palette and packed images: ImageIO's sRGB conversion is right for them
            int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
            for (int p = 0; p < argb.length; p++) {
                int a = argb[p] >>> 24;
                for (int c = 0; c < 3; c++) {
                    int v = (argb[p] >> (16 - 8 * c)) & 0xff;
                    rgb[p * 3 + c] = (byte) ((v * a + 255 * (255 - a) + 127) / 255);
                }
            }
            return new Pixels(w, h, rgb);
        }
        boolean alpha = image.getColorModel().hasAlpha();
        int colour = alpha ? bands - 1 : bands;
        double[] row = new double[w * bands];
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            if (unsigned32) for (int i = 0; i < row.length; i++) if (row[i] < 0) row[i] += 4294967296.0;
            for (int x = 0; x < w; x++) {
                int base = x * bands;
                double a = alpha ? Math.min(1, Math.max(0, row[base + bands - 1] / max)) : 1.0;
                for (int c = 0; c < 3; c++) {
                    double v8 = Math.min(255, Math.max(0, row[base + (colour == 1 ? 0 : c)] * 255.0 / max));
                    rgb[(y * w + x) * 3 + c] = (byte) Math.round(v8 * a + 255 * (1 - a));
                }
            }
        }
        return new Pixels(w, h, rgb);
    }

    /** Width, height and format from the header, without decoding pixels (or allocating them). */
    static Header header(Path file, byte[] bytes) throws BadImageException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            if (in == null) throw new BadImageException(file, "cannot open");
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) throw new BadImageException(file, "not an image this decoder knows");
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new Header(reader.getWidth(0), reader.getHeight(0), reader.getFormatName().toLowerCase(java.util.Locale.ROOT));
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            throw new BadImageException(file, "unreadable header (" + e.getMessage() + ")");
        }
    }
}
