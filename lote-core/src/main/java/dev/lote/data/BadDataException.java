package dev.lote.data;

/**
 * Data found bad while a run went on (a bad image under {@code strict}, a folder with no readable image): the run
 * stops with this message (the CLI's exit code 3), unlike an unusable folder or setting found before it starts.
 */
public final class BadDataException extends RuntimeException {
    public BadDataException(String message, Throwable cause) { super(message, cause); }
}
