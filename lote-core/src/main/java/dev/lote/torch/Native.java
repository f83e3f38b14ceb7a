package dev.lote.torch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.bytedeco.pytorch.Tensor;

/**
 * Lote's own native kernels ({@code native.c}: Keras' Adam in one pass, the fused first block's JNI side; {@code
 * stem.c}: that block), compiled on first use with the machine's C compiler ({@code $CC}, else {@code cc}) for
 * this CPU, as torch.compile does, and kept under {@code $LOTE_CACHE_DIR/native} (else {@code ~/.cache/lote/native})
 * by a hash of source, flags, compiler, CPU and JDK. Where no compiler runs, {@link #available()} is false and
 * callers use libtorch's ops; the first failure is printed once.
 */
final class Native {
    /** {@code LOTE_NATIVE=0} (or a test) turns them off, to compare against libtorch's ops. */
    static volatile boolean enabled = !"0".equals(System.getenv("LOTE_NATIVE"));
    private static final List<String> FLAGS = List.of("-O3", "-march=native", "-fno-math-errno");
    private static volatile String unavailable; // why there are no native kernels, once known
    private static boolean loaded;
    private static ExecutorService pool;

    private Native() {}

    /** Whether native.c is compiled and loaded (compiling it now if need be). */
    static synchronized boolean available() {
        if (!enabled) return false;
        if (loaded) return true;
        if (unavailable != null) return false;
        Path lib = compile("native.c", List.of());
        if (lib == null) return false;
        try {
            System.load(lib.toString());
            loaded = true;
        } catch (UnsatisfiedLinkError e) {
            fail(e.getMessage());
        }
        return loaded;
    }

    /** Why the native kernels are off, or null while they work (or were never tried). */
    static String unavailable() { return unavailable; }

    private static void fail(String why) {
        if (unavailable != null) return;
        unavailable = why;
        System.err.println("lote: native kernels are off (" + why + "); libtorch's ops run instead, slower");
    }

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

    /** Daemon threads for kernels split by rows or ranges; the calling thread takes the first part itself. */
    static synchronized ExecutorService pool() {
        if (pool == null) {
            pool = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "lote-native");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    /**
     * The shared library built from the resource {@code source} with {@code defines}, compiled once into the cache
     * (to a temporary name, then renamed, so a crash never leaves half a library); null where that fails.
     */
    static synchronized Path compile(String source, List<String> defines) {
        if (unavailable != null) return null;
        try {
            return build(source, defines);
        } catch (IOException e) {
            fail(e.getMessage());
            return null;
        }
    }

    private static Path build(String source, List<String> defines) throws IOException {
        byte[] code;
        try (InputStream in = Native.class.getResourceAsStream(source)) {
            if (in == null) throw new IOException("the kernel source " + source + " is missing from the jar");
            code = in.readAllBytes();
        }
        String cc = System.getenv().getOrDefault("CC", "cc");
        String javaHome = System.getProperty("java.home");
        List<String> cmd = new ArrayList<>(List.of(cc, "-shared", "-fPIC", "-std=gnu11", "-I" + javaHome + "/include",
                "-I" + javaHome + "/include/linux"));
        cmd.addAll(FLAGS);
        cmd.addAll(defines);
        String name = source.replace(".c", "");
        Path dir = cacheDir(), lib = dir.resolve(name + "-" + hash(code, String.join(" ", cmd) + "|" + cpu()) + ".so");
        if (Files.isRegularFile(lib)) return lib;
        Files.createDirectories(dir);
        Path src = Files.createTempFile(dir, name + "-", ".c"), tmp = Files.createTempFile(dir, name + "-", ".so.tmp");
        try {
            Files.write(src, code);
            cmd.addAll(List.of(src.toString(), "-o", tmp.toString(), "-ldl", "-lm"));
            Process proc;
            try {
                proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new IOException("no C compiler: '" + cc + "' cannot be run; set CC to one");
            }
            try {
                String log = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                if (!proc.waitFor(120, TimeUnit.SECONDS)) {
                    proc.destroyForcibly();
                    throw new IOException(cc + " took over 2 minutes on " + source);
                }
                if (proc.exitValue() != 0) {
                    throw new IOException(cc + " failed on " + source + ": " + log.lines().findFirst().orElse("exit " + proc.exitValue()));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while compiling " + source);
            }
            Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return lib;
        } finally {
            Files.deleteIfExists(src);
            Files.deleteIfExists(tmp);
        }
    }

    private static Path cacheDir() {
        String env = System.getenv("LOTE_CACHE_DIR");
        Path base = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "lote");
        return base.resolve("native");
    }

    /** What -march=native compiles for: the CPU's model and flags. */
    private static String cpu() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name") || l.startsWith("flags"))
                    .distinct().reduce("", String::concat) + System.getProperty("os.arch");
        } catch (IOException e) {
            return System.getProperty("os.arch");
        }
    }

    private static String hash(byte[] code, String settings) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(code);
            md.update(settings.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(md.digest(), 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
