package dev.lote.image;

/**
 * EXIF orientation, for the decoders that ignore it (ImageIO): the tag read from a JPEG's APP1 segment, and the
 * turn or flip it asks for applied to decoded pixels. OpenCV applies it itself.
 */
final class Orientation {
    private Orientation() {}

    /** The EXIF orientation (1–8) of a JPEG, 1 when it has none. */
    static int of(byte[] b) {
        int i = 2;
        while (i + 4 < b.length && (b[i] & 0xff) == 0xFF) {
            int marker = b[i + 1] & 0xff, length = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            if (marker == 0xDA) break; // the image data: no EXIF after it
            if (marker == 0xE1 && i + 10 < b.length && b[i + 4] == 'E' && b[i + 5] == 'x' && b[i + 6] == 'i' && b[i + 7] == 'f') {
                int o = tiffOrientation(b, i + 10, Math.min(b.length, i + 2 + length));
                if (o >= 1 && o <= 8) return o;
            }
            i += 2 + length;
        }
        return 1;
    }

    private static int tiffOrientation(byte[] b, int tiff, int end) {
        if (tiff + 8 > end) return 1;
        boolean little = b[tiff] == 'I';
        int ifd = tiff + int32(b, tiff + 4, little);
        if (ifd + 2 > end || ifd < tiff) return 1;
        int entries = int16(b, ifd, little);
        for (int e = 0; e < entries; e++) {
            int at = ifd + 2 + 12 * e;
            if (at + 12 > end) return 1;
            if (int16(b, at, little) == 0x0112) return int16(b, at + 8, little);
        }
        return 1;
    }

    private static int int16(byte[] b, int at, boolean little) {
        return little ? (b[at] & 0xff) | ((b[at + 1] & 0xff) << 8) : ((b[at] & 0xff) << 8) | (b[at + 1] & 0xff);
    }

    private static int int32(byte[] b, int at, boolean little) {
        return little ? int16(b, at, true) | (int16(b, at + 2, true) << 16) : (int16(b, at, false) << 16) | int16(b, at + 2, false);
    }

    /** The pixels turned and flipped as orientation {@code o} says, upright. */
    static Pixels apply(Pixels p, int o) {
        if (o <= 1 || o > 8) return p;
        int w = p.width(), h = p.height();
        boolean swap = o >= 5;
        int dw = swap ? h : w, dh = swap ? w : h;
        byte[] src = p.rgb(), dst = new byte[src.length];
        for (int y = 0; y < dh; y++) {
            for (int x = 0; x < dw; x++) {
                int sx, sy;
                switch (o) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; } // 8
                }
                System.arraycopy(src, (sy * w + sx) * 3, dst, (y * dw + x) * 3, 3);
            }
        }
        return new Pixels(dw, dh, dst);
    }
}
