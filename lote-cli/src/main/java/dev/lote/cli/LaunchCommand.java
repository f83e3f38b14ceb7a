package dev.lote.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "launch", mixinStandardHelpOptions = true,
        description = "Run a command as N local processes of one data-parallel run (as torchrun --standalone), "
                + "e.g. 'lote launch --nproc 2 -- train DIR'.")
final class LaunchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--nproc", required = true, description = "Processes to start.")
    int nproc;

    @Option(names = "--threads", defaultValue = "0",
            description = "Intra-op threads per process; 0 = cores / N, at least 1 (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--master-port", defaultValue = "0", description = "Rank 0's port on 127.0.0.1; 0 = a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Parameters(paramLabel = "COMMAND", arity = "1..*", description = "The Lote command each process runs, after '--'.")
    List<String> command;

    @Override public Integer call() throws Exception {
        Options.positive(spec, "--nproc", nproc);
        if (!command.get(0).equals("train")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "launch runs 'train' (got '" + command.get(0) + "').");
        }
        int each = threads > 0 ? threads : Math.max(1, Runtime.getRuntime().availableProcessors() / nproc);
        return Launcher.run(nproc, each, port, command, System.out, System.err);
    }
}
