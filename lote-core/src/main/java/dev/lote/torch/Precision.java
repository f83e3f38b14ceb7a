package dev.lote.torch;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The number format convolutions run in, like Keras' dtype policies: {@code float32}, or {@code bf16}
 * ("mixed_bfloat16"): convolutions and 1×1 matrix multiplies in bfloat16, while weights, Adam, batch-normalization
 * statistics, dense layers, the loss and every output stay float32.
 */
public enum Precision {
    FLOAT32("float32"), BF16("bf16");

    private final String flag;

    Precision(String flag) { this.flag = flag; }

    @Override public String toString() { return flag; }

    /** {@code float32} or {@code bf16} (also {@code bfloat16}, {@code mixed_bfloat16}); anything else is an IllegalArgumentException. */
    public static Precision parse(String s) {
        return switch (s.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "fp32", "float" -> FLOAT32;
            case "bf16", "bfloat16", "mixed_bfloat16" -> BF16;
            default -> throw new IllegalArgumentException("Unknown precision '" + s + "'. Expected float32 or bf16.");
        };
    }

    /**
     * Why this CPU cannot run {@code p} fast, or null if it can. Without AVX512-BF16 or AMX, libtorch emulates
     * bfloat16 at several times float32's cost, so Lote refuses rather than run slower and less exact.
     */
    public static String unsupported(Precision p) {
        if (p == FLOAT32) return null;
        String flags;
        try {
            flags = Files.readString(Path.of("/proc/cpuinfo"));
        } catch (java.io.IOException | SecurityException e) {
            return "bf16 needs a CPU with AVX512-BF16 or AMX, and this system does not say what its CPU has (no /proc/cpuinfo)";
        }
        return unsupported(p, flags);
    }

    /** {@link #unsupported(Precision)} for a CPU whose /proc/cpuinfo reads {@code cpuinfo}. */
    static String unsupported(Precision p, String cpuinfo) {
        if (p == FLOAT32) return null;
        String flags = cpuinfo.lines().filter(l -> l.startsWith("flags")).findFirst().orElse("");
        boolean has = java.util.Arrays.stream(flags.split("[\\s:]+")).anyMatch(f -> f.equals("avx512_bf16") || f.equals("amx_bf16"));
        return has ? null : "bf16 needs a CPU with AVX512-BF16 or AMX, and this one has neither: float32 runs here";
    }
}
