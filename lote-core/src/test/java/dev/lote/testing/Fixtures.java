package dev.lote.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Reference files made with the real Keras and TensorFlow.js ({@code ../shared/fixtures}, or {@code LOTE_FIXTURES}),
 * and npm packages fetched at test time. Tests that need them skip with a message where they are absent (a user's
 * clone), except when {@code LOTE_FIXTURES=required} (CI), where a missing fixture fails.
 */
public final class Fixtures {
    private Fixtures() {}

    private static boolean required() { return "required".equals(System.getenv("LOTE_FIXTURES")); }

    /** The fixtures folder {@code name} (e.g. "keras"). */
    public static Path dir(String name) {
        for (Path root : new Path[] {Project.root().resolve("../shared/fixtures").normalize(), Path.of("/work/shared/fixtures")}) {
            if (Files.isDirectory(root.resolve(name))) return root.resolve(name);
        }
        if (required()) throw new IllegalStateException("LOTE_FIXTURES=required but ../shared/fixtures/" + name + " is missing");
        assumeTrue(false, "Skipped: the reference fixtures (../shared/fixtures/" + name + ") are not on this machine.");
        return null;
    }

    public static float[] floats(Path file) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.remaining() / 4];
        b.asFloatBuffer().get(f);
        return f;
    }

    /** {@code npm pack NAME@VERSION} into target/npm (once), unpacked; the package folder. */
    public static Path npmPackage(String name, String version) throws IOException, InterruptedException {
        Path dir = Path.of("target/npm", name + "-" + version).toAbsolutePath();
        Path pkg = dir.resolve("package");
        if (Files.isDirectory(pkg)) return pkg;
        Files.createDirectories(dir);
        boolean ok = run(dir, "npm", "pack", "--silent", name + "@" + version)
                && run(dir, "tar", "xzf", name + "-" + version + ".tgz");
        if (!ok || !Files.isDirectory(pkg)) {
            if (required()) throw new IllegalStateException("npm pack " + name + "@" + version + " failed (needed with LOTE_FIXTURES=required)");
            assumeTrue(false, "Skipped: npm could not fetch " + name + "@" + version + ".");
        }
        return pkg;
    }

    private static boolean run(Path dir, String... command) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(180, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}
