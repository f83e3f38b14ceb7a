package dev.lote.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Python with the reference tools from pip (TensorBoard, TensorFlow, ONNX Runtime): {@code $LOTE_PYTHON}, which
 * {@code .ci/run} points at a venv it makes. Tests that need one skip with a message where it is absent, except with
 * {@code LOTE_PYTHON_TESTS=required} (CI), where a missing module fails.
 */
public final class Python {
    private Python() {}

    /** The interpreter, when it imports {@code module}; else the test is skipped (or fails in CI). */
    public static Path with(String module) throws InterruptedException {
        String env = System.getenv("LOTE_PYTHON");
        Path python = env == null || env.isBlank() ? null : Path.of(env);
        boolean ok = python != null && Files.isExecutable(python) && run(python, "-c", "import " + module).exit == 0;
        if (!ok && "required".equals(System.getenv("LOTE_PYTHON_TESTS"))) throw new IllegalStateException(
                "LOTE_PYTHON_TESTS=required but " + (python == null ? "LOTE_PYTHON is not set" : python + " cannot import " + module));
        assumeTrue(ok, "Skipped: set LOTE_PYTHON to a Python that has " + module + " (pip install " + module + " in a venv).");
        return python;
    }

    /** What a script printed (stdout and stderr together) and its exit code. */
    public record Result(int exit, String output) {}

    /** Runs {@code script} (under src/test/python) with {@code args}. */
    public static Result script(Path python, String script, String... args) throws InterruptedException {
        List<String> command = new ArrayList<>(List.of(python.toString(), Project.root().resolve("lote-core/src/test/python/" + script).toString()));
        command.addAll(List.of(args));
        return run(python, command.subList(1, command.size()).toArray(String[]::new));
    }

    private static Result run(Path python, String... args) throws InterruptedException {
        List<String> command = new ArrayList<>(List.of(python.toString()));
        command.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(300, TimeUnit.SECONDS)) p.destroyForcibly();
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(-1, e.getMessage());
        }
    }
}
