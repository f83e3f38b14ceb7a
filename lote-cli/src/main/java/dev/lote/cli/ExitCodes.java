package dev.lote.cli;

/** Exit codes of every command, in one place. */
final class ExitCodes {
    static final int OK = 0;
    /** A failure while running (including a problem found by {@code inspect}). */
    static final int FAILURE = 1;
    /** Invalid input: a wrong flag, a missing folder, an unusable argument. */
    static final int INVALID_INPUT = 2;
    /** Bad data or a bad model file. */
    static final int BAD_DATA = 3;

    private ExitCodes() {}
}
