package dev.lote.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the checkout's root is, from any module's tests (Maven runs each module's tests in its own folder). */
public final class Project {
    private Project() {}

    /** The folder with the top-level pom.xml and README.md. */
    public static Path root() {
        String property = System.getProperty("lote.root");
        if (property != null && Files.isRegularFile(Path.of(property, "README.md"))) return Path.of(property);
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve(".mvn")) && Files.isRegularFile(p.resolve("README.md"))) return p;
        }
        throw new IllegalStateException("Cannot find the checkout's root (README.md beside .mvn/) above " + Path.of("").toAbsolutePath());
    }

    /** This process's peak resident memory (VmHWM), in bytes. */
    public static long peakRssBytes() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
        throw new IllegalStateException("no VmHWM in /proc/self/status");
    }
}
