package dev.lote.natives;

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

/**
 * Lote's own C, compiled on first use with the machine's C compiler ({@code $CC}, else {@code cc}) for this CPU,
 * as torch.compile does, and kept under {@code $LOTE_CACHE_DIR/native} (else {@code ~/.cache/lote/native}) by a
 * hash of source, flags, compiler, CPU and JDK. Off until turned on ({@code Engine.options().nativeKernels(true)},
 * which the CLI does unless {@code LOTE_NATIVE=0}): a program that embeds Lote gets no compiler run and no stream
 * replaced unless it asks. Where no compiler runs, {@link #compile} gives null and callers use what they did before
 * (libtorch's ops, stderr as it is); the first failure is printed once.
 */
public final class NativeCode {
    private static volatile boolean enabled;
    private static final List<String> FLAGS = List.of("-O3", "-march=native", "-fno-math-errno");
    private static volatile String unavailable; // why there is no native code, once known
    private static ExecutorService pool;

    private NativeCode() {}

    /** Lets native code compile and run in this process, or not (then callers use libtorch's ops); Engine.start(Options) calls it. */
    public static void enable(boolean on) { enabled = on; }

    public static boolean enabled() { return enabled; }

    /** Why native code is off, or null while it works (or was never tried). */
    public static String unavailable() { return enabled ? unavailable : "not turned on"; }

    /**
     * The shared library built from {@code owner}'s resource {@code source} with {@code defines}, compiled once into
     * the cache (to a temporary name, then renamed, so a crash never leaves half a library); null where that fails.
     */
    public static synchronized Path compile(Class<?> owner, String source, List<String> defines) {
        if (!enabled || unavailable != null) return null;
        try {
            return build(owner, source, defines);
        } catch (IOException e) {
            fail(e.getMessage());
            return null;
        }
    }

    /** System.load of a compiled library; false (reported once) where it does not load. */
    public static synchronized boolean load(Path library) {
        try {
            System.load(library.toString());
            return true;
        } catch (UnsatisfiedLinkError e) {
            fail(e.getMessage());
            return false;
        }
    }

    private static void fail(String why) {
        if (unavailable != null) return;
        unavailable = why;
        System.err.println("lote: native code is off (" + why + "): libtorch's ops run the fused first block and Adam, slower, "
                + "and libjpeg's messages reach stderr without a file name");
    }

    /** One range of a split job: {@code [from, to)}, the {@code index}-th of the parts; false when it failed. */
    public interface Part {
        boolean run(long from, long to, int index);
    }

    /**
     * Splits {@code [0, total)} into {@code parts} ranges run at once on daemon threads, the caller taking the first;
     * true when every part returned true. {@code what} names the job in errors.
     */
    public static boolean inParts(int parts, long total, Part part, String what) {
        List<java.util.concurrent.Future<Boolean>> others = new ArrayList<>();
        for (int p = 1; p < parts; p++) {
            int index = p;
            long from = total * p / parts, to = total * (p + 1) / parts;
            others.add(pool().submit(() -> part.run(from, to, index)));
        }
        boolean ok = part.run(0, total / parts, 0);
        for (java.util.concurrent.Future<Boolean> f : others) {
            try {
                ok &= f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted in " + what + ".", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(Character.toUpperCase(what.charAt(0)) + what.substring(1) + " failed: " + e.getCause(), e.getCause());
            }
        }
        return ok;
    }

    private static synchronized ExecutorService pool() {
        if (pool == null) {
            pool = Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "lote-native");
                t.setDaemon(true);
                return t;
            });
        }
        return pool;
    }

    private static Path build(Class<?> owner, String source, List<String> defines) throws IOException {
        byte[] code;
        try (InputStream in = owner.getResourceAsStream(source)) {
            if (in == null) throw new IOException("the kernel source " + source + " is missing from the jar");
            code = in.readAllBytes();
        }
        String cc = System.getenv().getOrDefault("CC", "cc");
        String javaHome = System.getProperty("java.home");
        String noHeaders = missingHeaders(Path.of(javaHome));
        if (noHeaders != null) throw new IOException(noHeaders);
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

    /** Why this Java runtime cannot compile JNI code (a JRE has no include/jni.h), or null. */
    static String missingHeaders(Path javaHome) {
        Path h = javaHome.resolve("include").resolve("jni.h");
        return Files.isRegularFile(h) ? null : "this Java runtime has no C headers (" + h + "); run Lote on a JDK for its native kernels";
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
