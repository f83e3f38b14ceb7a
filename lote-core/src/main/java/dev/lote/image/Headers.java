package dev.lote.image;

/**
 * Reads the canvas size straight from JPEG, PNG, GIF and WebP headers (in microseconds, allocating nothing); other
 * formats go through ImageIO's readers. For GIF and WebP this is the logical screen / canvas, which decoders allocate
 * whole even when the only frame is 1×1 (a 35-byte GIF can declare 32767×32767).
 */
final class Headers {
    private Headers() {}

    /** The header, or null when this is not a JPEG or PNG this parser understands. */
    static Header parse(byte[] b) {
        if (b.length > 25 && (b[0] & 0xff) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G'
                && b[12] == 'I' && b[13] == 'H' && b[14] == 'D' && b[15] == 'R') {
            int depth = b[24] & 0xff, type = b[25] & 0xff;
            int channels = switch (type) { case 0 -> 1; case 4 -> 2; case 6 -> 4; default -> 3; }; // palette decodes to RGB
            return new Header(int32(b, 16), int32(b, 20), "png", channels * (depth > 8 ? 2 : 1));
        }
        if (b.length >= 10 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') { // logical screen, little-endian
            return new Header((b[6] & 0xff) | ((b[7] & 0xff) << 8), (b[8] & 0xff) | ((b[9] & 0xff) << 8), "gif", 4);
        }
        if (b.length >= 30 && b[0] == 'R' && b[1] == 'I' && b[2] == 'F' && b[3] == 'F' && b[8] == 'W' && b[9] == 'E' && b[10] == 'B' && b[11] == 'P') {
            String chunk = new String(b, 12, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            switch (chunk) {
                case "VP8X" -> { return new Header(1 + int24(b, 24), 1 + int24(b, 27), "webp", 4); } // the canvas of an animation
                case "VP8 " -> { return new Header(((b[26] & 0xff) | ((b[27] & 0xff) << 8)) & 0x3fff, ((b[28] & 0xff) | ((b[29] & 0xff) << 8)) & 0x3fff, "webp", 3); }
                case "VP8L" -> {
                    int bits = (b[21] & 0xff) | ((b[22] & 0xff) << 8) | ((b[23] & 0xff) << 16) | ((b[24] & 0xff) << 24);
                    return new Header(1 + (bits & 0x3fff), 1 + ((bits >>> 14) & 0x3fff), "webp", 4);
                }
                default -> { return null; }
            }
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

    private static int int24(byte[] b, int at) { return (b[at] & 0xff) | ((b[at + 1] & 0xff) << 8) | ((b[at + 2] & 0xff) << 16); }

    private static int int32(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }
}
