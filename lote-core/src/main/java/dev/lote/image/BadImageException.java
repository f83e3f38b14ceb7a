package dev.lote.image;

import java.nio.file.Path;

/** An image file that cannot be used, with its path and the reason. */
public final class BadImageException extends Exception {
    private final Path file;
    private final String reason;
    private final boolean overLimit;

    public BadImageException(Path file, String reason) { this(file, reason, false); }

    /** {@code overLimit}: refused for its size (bytes or declared pixels), not for its content. */
    public BadImageException(Path file, String reason, boolean overLimit) {
        super(file + ": " + reason);
        this.file = file;
        this.reason = reason;
        this.overLimit = overLimit;
    }

    public Path file() { return file; }
    public String reason() { return reason; }
    public boolean overLimit() { return overLimit; }
}
