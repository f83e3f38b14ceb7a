package dev.lote.torch;

import dev.lote.natives.NativeCode;
import java.nio.file.Path;
import java.util.List;
import org.bytedeco.pytorch.Tensor;

/**
 * The engine's own kernels in {@code native.c} (Keras' Adam in one pass, OpenBLAS's thread count, the fused first
 * block's JNI side; the block itself is {@code stem.c}), built by {@link NativeCode}. Where they cannot be built,
 * {@link #available()} is false and callers use libtorch's ops.
 */
final class Native {
    private static boolean loaded;

    private Native() {}

    /** Whether native.c is compiled and loaded (compiling it now if need be). */
    static synchronized boolean available() {
        if (!NativeCode.enabled()) return false;
        if (!loaded) {
            Path lib = NativeCode.compile(Native.class, "native.c", List.of());
            loaded = lib != null && NativeCode.load(lib);
        }
        return loaded;
    }

    /** Why the native kernels are off, or null while they work (or were never tried). */
    static String unavailable() { return NativeCode.unavailable(); }

    static native long symbol(String library, String name);

    static native int stemForward(long fn, int b, int h, int w, long x, long wd, long bd, long wp, long bp,
                                  int relu1, int relu2, long out, int r0, int r1);

    static native int stemBackward(long fn, int b, int h, int w, long x, long wd, long bd, long wp, long bp,
                                   int relu1, int relu2, long g, long grads, int r0, int r1);

    static native void adam(long w, long g, long m, long v, long n, float oneMinusB1, float b2, float oneMinusB2,
                            float eps, float alpha, float decay);

    /** Sets the loaded OpenBLAS's threads; false where there is none. */
    static native int blasThreads(int n);

    static long address(Tensor t) { return t.data_ptr().address(); }
}
