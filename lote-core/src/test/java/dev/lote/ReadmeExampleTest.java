package dev.lote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.testing.Images;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles the README's Java example as written and runs it on generated images. */
class ReadmeExampleTest {
    /**
     * A plain Java program that embeds Lote (the README's example in its own JVM) runs no compiler and so replaces no
     * stream: native kernels are off until the engine is started with them. The same program asking for them does run
     * it (the check can fail).
     */
    @Test
    void aProgramThatEmbedsLoteSpawnsNoCompilerUnlessItAsks(@TempDir Path dir) throws Exception {
        Path classes = compileExample(dir);
        Path data = Images.sampleFolder(dir.resolve("data"), 2, 5, 48, 64), marker = dir.resolve("cc-ran");
        Path cc = Files.writeString(dir.resolve("cc"), "#!/bin/sh\necho \"$@\" >> " + marker + "\nexit 1\n");
        cc.toFile().setExecutable(true);
        for (boolean asks : new boolean[] {false, true}) {
            String launcher = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(launcher, "-Dorg.bytedeco.javacpp.maxPhysicalBytes=0",
                    "-Dorg.bytedeco.javacpp.cachedir=" + System.getProperty("org.bytedeco.javacpp.cachedir", dir.resolve("javacpp").toString()), "-cp", classes + File.pathSeparator + System.getProperty("java.class.path"),
                    "example.Example", data.toString(), dir.resolve("model.lote").toString(), data.resolve("1/1_0.jpg").toString()));
            if (asks) cmd.add("native");
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
            pb.environment().put("CC", cc.toString());
            pb.environment().put("LOTE_CACHE_DIR", dir.resolve("cache").toString()); // nothing compiled before
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(180, TimeUnit.SECONDS), out);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("accuracy "), out);
            assertEquals(asks, Files.exists(marker), (asks ? "asked for native kernels: cc runs" : "cc was run: ") + out);
        }
    }

    /** The README's Java example as a class {@code example.Example} with {@code run(data, model, image)} and a main (a 4th argument: native kernels on). */
    private static Path compileExample(Path dir) throws Exception {
        String readme = Files.readString(dev.lote.testing.Project.root().resolve("README.md"));
        int start = readme.indexOf("```java\n", readme.indexOf("## Java API")) + 8;
        String example = readme.substring(start, readme.indexOf("```", start));
        String source = """
                package example;
                import dev.lote.*;
                import dev.lote.data.*;
                import dev.lote.eval.*;
                import dev.lote.image.*;
                import dev.lote.nn.*;
                import dev.lote.predict.*;
                import dev.lote.train.*;
                import java.nio.file.Path;
                public class Example {
                    public static void main(String[] args) throws Exception {
                        if (args.length > 3) dev.lote.torch.Engine.start(dev.lote.torch.Engine.options().nativeKernels(true));
                        run(Path.of(args[0]), Path.of(args[1]), Path.of(args[2]));
                    }
                    public static void run(Path dataDir, Path modelFile, Path image) throws Exception {
                """ + example + "\n    }\n}\n";
        Path src = dir.resolve("src/example/Example.java");
        Files.createDirectories(src.getParent());
        Files.writeString(src, source);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        int rc = ToolProvider.getSystemJavaCompiler().run(null, errors, errors, "-d", classes.toString(),
                "-cp", System.getProperty("java.class.path"), src.toString());
        assertEquals(0, rc, "the README example does not compile:\n" + errors + "\n" + source);
        return classes;
    }

    @Test
    void theReadmesJavaExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
        Path classes = compileExample(dir);
        Path data = Images.sampleFolder(dir.resolve("data"), 2, 5, 48, 64);
        Path model = dir.resolve("model.lote");
        PrintStream old = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (URLClassLoader loader = new URLClassLoader(new java.net.URL[] {classes.toUri().toURL()}, getClass().getClassLoader())) {
            System.setOut(new PrintStream(out, true));
            loader.loadClass("example.Example").getMethod("run", Path.class, Path.class, Path.class)
                    .invoke(null, data, model, data.resolve("1/1_0.jpg"));
        } finally {
            System.setOut(old);
        }
        assertTrue(Files.exists(model));
        List<String> lines = out.toString().lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("accuracy per epoch: [")), out.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith(data.resolve("1/1_0.jpg") + ": ")), out.toString());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("accuracy ")), out.toString());
        assertTrue(lines.stream().anyMatch(l -> l.matches("embedding of \\d+ values")), out.toString());
        try (LoteModel m = LoteModel.load(model)) { // the Java API's run records as much as the CLI's
            assertEquals(2, m.history().epochs(), "the last fit's history, as Keras' model.history");
            assertEquals(2, m.recipe().epochs());
            assertEquals(1e-4, m.recipe().learningRate());
            assertEquals(8, m.info().training().trainFiles().size(), "the default recipe's 20 % validation split of 2 x 5 images");
            assertEquals(System.getProperty("java.version"), m.info().training().environment().get("java"));
        }
    }
}
