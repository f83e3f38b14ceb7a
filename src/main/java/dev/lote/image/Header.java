package dev.lote.image;

/** What an image file's header declares, read without decoding pixels. */
public record Header(int width, int height, String format) {
    public long pixels() { return (long) width * height; }
}
