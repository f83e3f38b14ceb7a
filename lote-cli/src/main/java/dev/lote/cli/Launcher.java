package dev.lote.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code lote launch}: starts N Lote processes on this machine wired into one data-parallel run (as
 * {@code torchrun --standalone}): each gets WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR=127.0.0.1, a free MASTER_PORT
 * and its share of the cores. Rank 0's output passes through; the other ranks' lines are prefixed with their rank.
 * When one process fails, the others are stopped, and the launch exits with the failed one's code.
 */
public final class Launcher {
    private Launcher() {}

    /** The command that runs {@code dev.lote.cli.Main ARGS} in a new JVM with this one's settings and classpath. */
    public static List<String> javaCommand(List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        return cmd;
    }

    /**
     * Runs {@code args} (a Lote command line, e.g. {@code train DIR …}) in {@code nproc} processes and waits for all;
     * returns 0 when every process succeeded, else the first failure's exit code.
     */
    public static int run(int nproc, int threadsEach, int port, List<String> args, PrintStream out, PrintStream err)
            throws IOException, InterruptedException {
        int masterPort = port > 0 ? port : freePort();
        java.nio.file.Path storeDir = java.nio.file.Files.createTempDirectory("lote-launch-");
        java.nio.file.Path store = storeDir.resolve("store");
        List<Process> procs = new ArrayList<>();
        List<Thread> pumps = new ArrayList<>();
        try {
            for (int rank = 0; rank < nproc; rank++) {
                ProcessBuilder pb = new ProcessBuilder(javaCommand(args));
                Map<String, String> env = pb.environment();
                env.put("WORLD_SIZE", Integer.toString(nproc));
                env.put("RANK", Integer.toString(rank));
                env.put("LOCAL_RANK", Integer.toString(rank));
                env.put("MASTER_ADDR", "127.0.0.1");
                env.put("LOTE_STORE_FILE", store.toString()); // ranks meet in a file, not on a port every interface hears
                env.put("MASTER_PORT", Integer.toString(masterPort));
                env.put("OMP_NUM_THREADS", Integer.toString(threadsEach));
                Process p = pb.start();
                procs.add(p);
                String prefix = rank == 0 ? "" : "[rank " + rank + "] ";
                pumps.add(pump(p.getInputStream(), out, prefix, rank == 0));
                pumps.add(pump(p.getErrorStream(), err, prefix, true));
            }
            int failed = -1, code = 0;
            while (failed < 0) { // wait for all, noticing the first failure at once
                boolean running = false;
                for (int r = 0; r < procs.size(); r++) {
                    Process p = procs.get(r);
                    if (p.isAlive()) running = true;
                    else if (p.exitValue() != 0) {
                        failed = r;
                        code = p.exitValue();
                        break;
                    }
                }
                if (!running) break;
                if (failed < 0) Thread.sleep(100);
            }
            if (failed >= 0) {
                err.println("lote launch: rank " + failed + " exited with code " + code + "; stopping the other ranks.");
                for (Process p : procs) if (p.isAlive()) waitOrStop(p, 15);
            }
            for (Thread t : pumps) t.join(2_000);
            return code;
        } finally {
            for (Process p : procs) if (p.isAlive()) p.destroyForcibly();
            try (var files = java.nio.file.Files.list(storeDir)) {
                for (java.nio.file.Path f : files.toList()) java.nio.file.Files.deleteIfExists(f);
            }
            java.nio.file.Files.deleteIfExists(storeDir);
        }
    }

    /** Gives a process {@code seconds} to notice on its own (its collectives fail), then ends it. */
    private static void waitOrStop(Process p, int seconds) throws InterruptedException {
        if (p.waitFor(seconds, TimeUnit.SECONDS)) return;
        p.destroy();
        if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
    }

    private static Thread pump(InputStream in, PrintStream to, String prefix, boolean show) {
        Thread t = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) if (show) to.println(prefix + line);
            } catch (IOException ignored) { /* the process ended */ }
        }, "launch-output");
        t.setDaemon(true);
        t.start();
        return t;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
