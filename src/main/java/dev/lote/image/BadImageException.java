package dev.lote.image;

import java.nio.file.Path;

/** An image file that cannot be used, with its path and the reason. */
public final class BadImageException extends Exception {
    private final Path file;
    private final String reason;

    public BadImageException(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
        this.reason = reason;
    }

    public Path file() { return file; }
    public String reason() { return reason; }
}
