package dev.lote.torch;

import dev.lote.natives.NativeCode;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads libtorch from the JavaCPP jars (offline: the natives unpack to JavaCPP's cache folder) and sets its
 * thread pools once per process. Matrix multiply also reads {@code OMP_NUM_THREADS} when the library loads, which
 * is why the launcher sets it before the JVM starts.
 */
public final class Engine {
    private static int threads;
    private static boolean pinned; // the user chose the thread count: nothing adapts it
    private static volatile Precision precision = Precision.FLOAT32;

    private Engine() {}

    /**
     * How the engine runs: {@code threads} intra-op threads (0: all cores, or OMP_NUM_THREADS), and whether Lote's
     * own kernels (the fused first block, Adam in one pass, the decoder's messages by file; C compiled with the
     * machine's {@code cc} on first use) may run. Off by default, so a service that embeds Lote spawns no compiler;
     * the CLI turns them on unless {@code LOTE_NATIVE=0}. {@code precision} is the number format of convolutions
     * ({@link Precision}), float32 unless chosen.
     */
    public record Options(int threads, boolean nativeKernels, Precision precision) {
        public Options threads(int n) { return new Options(n, nativeKernels, precision); }

        public Options nativeKernels(boolean on) { return new Options(threads, on, precision); }

        public Options precision(Precision p) { return new Options(threads, nativeKernels, p); }
    }

    /** The options in force (at first: all cores, no native kernels, float32). */
    public static Options options() { return new Options(pinned ? threads : 0, NativeCode.enabled(), precision); }

    /**
     * Starts the engine with these options (nothing is compiled until a native kernel is first needed); safe to call
     * again. A precision this CPU cannot run fast is an IllegalArgumentException that says why.
     */
    public static synchronized void start(Options o) {
        String why = Precision.unsupported(o.precision());
        if (why != null) throw new IllegalArgumentException(why + ".");
        NativeCode.enable(o.nativeKernels());
        start(o.threads());
        precision = o.precision();
    }

    /** The number format convolutions run in now. */
    public static Precision precision() { return precision; }

    /** Loads the natives and uses {@code n} intra-op threads (0 = all cores); safe to call again. */
    public static synchronized void start(int n) {
        int wanted = n > 0 ? n : defaultThreads();
        pinned |= n > 0;
        boolean first = threads == 0;
        if (first) {
            unpackNatives();
            Loader.load(torch.class);
            torch.set_num_interop_threads(1); // one step at a time: inter-op threads only add contention here
            // inference batches of 16+ would try NNPACK, which this build cannot start on most x86 CPUs: it warns
            // on every call and falls back to the same kernels anyway
            torch.globalContext().setUserEnabledNNPACK(false);
        }
        if (threads != wanted) setThreads(wanted, !first);
    }

    /**
     * Whether oneDNN's 1×1 convolutions can be trusted here. oneDNN 3.7 (libtorch 2.10) sizes their brgemm blocks from
     * the CPU's cache topology (CPUID); on a virtual machine that hides it (Linux then has no
     * /sys/devices/system/cpu/cpu0/cache either) its 1×1 convolutions computed wrong values (56 → 112 channels off by
     * ~1, so MobileNetV2 by 1e-2) or divided by zero (SIGFPE), while its other convolutions were right. There Lote
     * computes 1×1 convolutions as a matrix multiply ({@link Ops}). {@code LOTE_ONEDNN_1X1=1|0} decides instead.
     */
    static final boolean ONE_BY_ONE_TRUSTED = oneByOneTrusted();

    private static boolean oneByOneTrusted() {
        String forced = System.getenv("LOTE_ONEDNN_1X1");
        if (forced != null && !forced.isBlank()) return !forced.trim().equals("0");
        java.nio.file.Path cpu = java.nio.file.Path.of("/sys/devices/system/cpu/cpu0");
        return !java.nio.file.Files.isDirectory(cpu) || java.nio.file.Files.isDirectory(cpu.resolve("cache"));
    }

    /** How 1×1 convolutions run: "oneDNN", or "matrix multiply (why)". */
    public static String oneByOne() {
        if (ONE_BY_ONE_TRUSTED) return "oneDNN";
        return System.getenv("LOTE_ONEDNN_1X1") != null ? "matrix multiply (LOTE_ONEDNN_1X1=0)"
                : "matrix multiply (this CPU hides its cache sizes, which oneDNN's 1x1 kernels need)";
    }

    private static void setThreads(int n, boolean blasToo) {
        torch.set_num_threads(n);
        if (blasToo && Native.available()) Native.blasThreads(n); // at the first start OMP_NUM_THREADS did it
        threads = n;
    }

    /** Whether the user set the thread count (then {@link ThreadGovernor} leaves it alone). */
    public static synchronized boolean pinned() { return pinned; }

    /** Changes the intra-op threads of libtorch and its matrix multiply while running (the governor's lever). */
    static synchronized void adapt(int n) {
        if (threads != n) setThreads(n, true);
    }

    /**
     * Unpacks every native library into JavaCPP's cache before loading any. Loading while unpacking (JavaCPP's
     * default) crashed libtorch's first start here, in pthread_mutex_lock, every time; later starts were fine.
     */
    private static void unpackNatives() {
        String platform = Loader.getPlatform();
        for (String dir : new String[] {"/org/bytedeco/javacpp/", "/org/bytedeco/openblas/", "/org/bytedeco/pytorch/"}) {
            try {
                Loader.cacheResources(Engine.class, dir + platform + "/");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("Cannot unpack libtorch's native libraries into JavaCPP's cache: "
                        + e.getMessage(), e);
            }
        }
    }

    public static int threads() { return threads; }

    /** "on", or "off (why)": Lote's own compiled kernels (the fused first block, Adam in one pass). */
    public static String nativeKernels() {
        return Native.available() ? "on" : "off (" + Native.unavailable() + ")";
    }

    /** OMP_NUM_THREADS when set (as launchers set it for each of several processes), else one per core. */
    static int defaultThreads() {
        try {
            int n = Integer.parseInt(System.getenv().getOrDefault("OMP_NUM_THREADS", "").trim());
            if (n > 0) return n;
        } catch (NumberFormatException ignored) { /* unset or not a number */ }
        return Runtime.getRuntime().availableProcessors();
    }

    /** libtorch's version, e.g. {@code 2.10.0}, from the presets' jar. */
    public static String version() {
        String v = torch.class.getPackage().getImplementationVersion();
        return v == null ? "2.10.0" : v.replaceAll("-1\\.5.*$", "");
    }

    /** Loads the natives and prints libtorch's version and threads: a quick check of an installation. */
    public static void main(String[] args) {
        start(0);
        System.out.println("libtorch " + version() + " loaded; " + torch.get_parallel_info().getString().lines()
                .filter(l -> l.contains("threads")).findFirst().orElse("").trim());
    }

    public static void seed(long seed) {
        start(0);
        torch.manual_seed(seed);
    }
}
