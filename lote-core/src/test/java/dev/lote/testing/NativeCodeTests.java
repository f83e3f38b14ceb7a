package dev.lote.testing;

import dev.lote.natives.NativeCode;
import org.junit.jupiter.api.Assumptions;

/** Tests of Lote's native code: skipped on a machine without a C compiler, required in CI ({@code LOTE_NATIVE_TESTS}). */
public final class NativeCodeTests {
    private NativeCodeTests() {}

    /** Skips (or, in CI, fails) the calling test unless {@code built}: the code compiled and loaded here. */
    public static void require(boolean built) {
        if (built) return;
        String why = "native code unavailable: " + NativeCode.unavailable();
        if ("required".equals(System.getenv("LOTE_NATIVE_TESTS"))) throw new AssertionError(why);
        Assumptions.assumeTrue(false, why);
    }
}
