package dev.lote.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A machine without a C compiler: Lote says once that its native code is off, and trains on libtorch's ops. */
class NoCompilerTest {
    @TempDir Path dir;

    @Test
    void withoutACompilerTheStepRunsOnLibtorchAndSaysWhy() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
                "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("org.bytedeco.javacpp.cachedir", dir.resolve("javacpp").toString()),
                "-cp", System.getProperty("java.class.path"), "dev.lote.cli.Main",
                "bench", "step", "--input", "48x64x3", "--steps", "2", "--warmup", "1"));
        pb.environment().put("CC", dir.resolve("no-such-compiler").toString());
        pb.environment().put("LOTE_CACHE_DIR", dir.resolve("cache").toString()); // nothing compiled before
        pb.environment().remove("LOTE_NATIVE");
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("ms/step median"), out);
        assertTrue(out.contains("native kernels off (no C compiler: '" + dir.resolve("no-such-compiler") + "' cannot be run; set CC to one)"), out);
        assertEquals(1, out.lines().filter(l -> l.startsWith("lote: native code is off")).count(), "said once: " + out);
        assertTrue(!Files.exists(dir.resolve("cache/native")) || Files.list(dir.resolve("cache/native")).noneMatch(f -> f.toString().endsWith(".so")),
                "and no half-built library is left");
    }
}
