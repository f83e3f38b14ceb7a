package dev.lote.data;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * Bad files met while loading: each is named once, with its reason, when first met (training goes on without it),
 * and all are listed at the end of the run. Thread-safe: loader workers report here.
 */
public final class SkippedFiles {
    private final Map<Path, String> files = new ConcurrentSkipListMap<>();
    private final PrintStream out;

    /** {@code out} hears each file once; null stays silent. */
    public SkippedFiles(PrintStream out) { this.out = out; }

    public void report(Path file, String reason) {
        if (files.putIfAbsent(file, reason) == null && out != null) out.println("Skipping " + file + ": " + reason);
    }

    public int count() { return files.size(); }

    public Map<Path, String> asMap() { return Map.copyOf(files); }

    /** One line per file, {@code path: reason}, sorted by path. */
    public List<String> lines() { return files.entrySet().stream().map(e -> e.getKey() + ": " + e.getValue()).toList(); }
}
