package dev.lote.image;

import dev.lote.natives.NativeCode;
import java.nio.file.Path;
import java.util.List;

/**
 * What OpenCV's decoders print on stderr during one decode ({@code messages.c}), caught in the decoding thread so
 * the message can name its file: libjpeg warns "Corrupt JPEG data: …" or "Unknown Adobe color transform code 2"
 * on stderr, with no file name, for files that still decode. Without native code (off until the engine is started
 * with it on) this does nothing and the messages reach stderr as before; with it, the process's stderr is replaced
 * by a pipe that passes through what is not caught.
 */
final class DecoderMessages {
    private static Boolean installed; // null: not tried yet

    private DecoderMessages() {}

    private static synchronized boolean on() {
        if (!NativeCode.enabled()) return false;
        if (installed == null) {
            Path lib = NativeCode.compile(DecoderMessages.class, "messages.c", List.of());
            installed = lib != null && NativeCode.load(lib) && install0();
        }
        return installed;
    }

    /** Starts catching this thread's stderr output. */
    static void begin() {
        if (on()) begin0();
    }

    /** Stops catching; what was printed since {@link #begin()}, one message per line, trimmed, or null. */
    static String end() {
        if (!on()) return null;
        String s = end0();
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static native boolean install0();

    private static native void begin0();

    private static native String end0();
}
