package dev.lote.image;

/** Files over either limit are refused from their size or header, before any pixel buffer is allocated. */
public record Limits(long maxPixels, long maxFileBytes) {
    /** 100 megapixels and 200 MB. */
    public static final Limits DEFAULT = new Limits(100_000_000L, 200L << 20);

    public Limits {
        if (maxPixels <= 0 || maxFileBytes <= 0) throw new IllegalArgumentException("Limits must be positive.");
    }
}
