package dev.lote.data;

import java.nio.file.Path;

/** A problem with the user's data (a folder or a file), naming the path. */
public final class DataException extends RuntimeException {
    private final Path path;

    public DataException(Path path, String message) {
        super(message);
        this.path = path;
    }

    public Path path() { return path; }
}
