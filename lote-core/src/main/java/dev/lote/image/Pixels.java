package dev.lote.image;

/** A decoded image: 8-bit RGB, rows top to bottom, interleaved (height × width × 3). */
public record Pixels(int width, int height, byte[] rgb) {
    public Pixels {
        if (rgb.length != (long) width * height * 3) throw new IllegalArgumentException("Expected " + width + "x" + height
                + "x3 bytes, got " + rgb.length + ".");
    }
}
