package dev.lote.natives;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeCodeTest {
    /** A JRE (no include/jni.h) cannot build JNI code: the reason is one line that says what to do. */
    @Test
    void aRuntimeWithoutCHeadersSaysSoInOneLine(@TempDir Path jre) throws Exception {
        assertEquals("this Java runtime has no C headers (" + jre.resolve("include/jni.h") + "); run Lote on a JDK for its native kernels",
                NativeCode.missingHeaders(jre));
        Files.createDirectories(jre.resolve("include"));
        Files.writeString(jre.resolve("include/jni.h"), "/* */");
        assertNull(NativeCode.missingHeaders(jre));
    }

    @Test
    void offUntilTurnedOnAndThenNothingCompiles() {
        NativeCode.enable(false);
        assertEquals("not turned on", NativeCode.unavailable());
        assertNull(NativeCode.compile(NativeCode.class, "no-such.c", java.util.List.of()), "off: not even tried");
    }
}
