package dev.lote.image;

/**
 * Reads width and height straight from JPEG and PNG headers (the common case, in microseconds, allocating
 * nothing); other formats go through ImageIO's readers.
 */
final class Headers {
    private Headers() {}

    /** The header, or null when this is not a JPEG or PNG this parser understands. */
    static Header parse(byte[] b) {
        if (b.length > 24 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G'
                && b[12] == 'I' && b[13] == 'H' && b[14] == 'D' && b[15] == 'R') {
            return new Header(int32(b, 16), int32(b, 20), "png");
        }
        if (!Decoder.isJpeg(b)) return null;
        int i = 2;
        while (i + 9 < b.length) {
            if ((b[i] & 0xff) != 0xFF) return null; // not at a marker: leave it to ImageIO
            int marker = b[i + 1] & 0xff;
            if (marker == 0xFF) { i++; continue; } // fill byte
            if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) { i += 2; continue; }
            int length = ((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff);
            boolean frame = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (frame) {
                int height = ((b[i + 5] & 0xff) << 8) | (b[i + 6] & 0xff), width = ((b[i + 7] & 0xff) << 8) | (b[i + 8] & 0xff);
                return height == 0 ? null : new Header(width, height, "jpeg"); // height 0: defined later (DNL)
            }
            if (marker == 0xDA || length < 2) return null; // scan before any frame header: unusual, let ImageIO judge
            i += 2 + length;
        }
        return null;
    }

    private static int int32(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }
}
