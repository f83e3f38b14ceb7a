package dev.lote.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident memory from {@code /proc/self/status}, which counts libtorch's native memory too. */
public final class Rss {
    private Rss() {}

    /** Peak resident set size in bytes (VmHWM), or -1 where /proc is missing. */
    public static long peakBytes() { return read("self", "VmHWM:"); }

    /** Current resident set size of process {@code pid} in bytes (VmRSS), or -1 where /proc is missing. */
    public static long currentBytes(long pid) { return read(Long.toString(pid), "VmRSS:"); }

    private static long read(String process, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", process, "status"))) {
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }
}
