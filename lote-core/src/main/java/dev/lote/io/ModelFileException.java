package dev.lote.io;

import java.nio.file.Path;

/** A model file that cannot be used: missing, foreign, damaged or from an unsupported format version. */
public final class ModelFileException extends java.io.IOException {
    private final Path file;

    public ModelFileException(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
    }

    public Path file() { return file; }
}
