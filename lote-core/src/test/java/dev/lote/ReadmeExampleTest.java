package dev.lote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.testing.Images;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles the README's Java example as written and runs it on generated images. */
class ReadmeExampleTest {
    @Test
    void theReadmesJavaExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
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
        try (LoteModel m = LoteModel.load(model)) { // the Java API's run records as much as the CLI's
            assertEquals(2, m.history().epochs(), "the last fit's history, as Keras' model.history");
            assertEquals(2, m.recipe().epochs());
            assertEquals(1e-4, m.recipe().learningRate());
            assertEquals(8, m.info().training().trainFiles().size(), "the default recipe's 20 % validation split of 2 x 5 images");
            assertEquals(System.getProperty("java.version"), m.info().training().environment().get("java"));
        }
    }
}
