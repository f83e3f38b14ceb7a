package dev.lote.image;

/**
 * What an image file's header declares, read without decoding pixels: the canvas size and, where the header says,
 * how many bytes a decoded pixel takes (channels × bytes per sample; 3 when unknown).
 */
public record Header(int width, int height, String format, int bytesPerPixel) {
    public Header(int width, int height, String format) { this(width, height, format, 3); }

    public long pixels() { return (long) width * height; }

    /** The memory a decoder needs for the pixels as the file stores them. */
    public long decodedBytes() { return pixels() * Math.max(3, bytesPerPixel); }
}
