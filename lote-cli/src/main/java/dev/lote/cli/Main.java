package dev.lote.cli;

import dev.lote.data.DataException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code lote} command: subcommands, and the one place where errors become messages and exit codes. */
@Command(name = "lote", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Train, evaluate and run image classifiers from folders of images.",
        subcommands = {TrainCommand.class, LrFindCommand.class, EvaluateCommand.class, CalibrateCommand.class, PredictCommand.class, EmbedCommand.class, ReportCommand.class, ImportCommand.class, ExportCommand.class, ServeCommand.class, LaunchCommand.class, InspectCommand.class, SummaryCommand.class, SampleDataCommand.class, DemoCommand.class,
                BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(spec.commandLine().getOut()); }

    public static void main(String[] args) { System.exit(run(args)); }

    /** Runs the CLI in-process (tests call this) and returns the exit code. */
    public static int run(String... args) { return commandLine().execute(args); }

    static CommandLine commandLine() {
        // the CLI runs Lote's native kernels (compiled once per machine, when first needed) unless told not to
        dev.lote.natives.NativeCode.enable(!"0".equals(System.getenv("LOTE_NATIVE")));
        CommandLine cli = new CommandLine(new Main());
        cli.setParameterExceptionHandler((e, args) -> {
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println("lote: " + e.getMessage().lines().findFirst().orElse("invalid arguments")
                    + " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')");
            return ExitCodes.INVALID_INPUT;
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            if (e instanceof DataException || e instanceof IllegalArgumentException) {
                err.println("lote: " + e.getMessage());
                return ExitCodes.INVALID_INPUT;
            }
            if (e instanceof dev.lote.torch.ProcessGroup.LostRankException || e instanceof Failure || e instanceof dev.lote.TrainingRun.Diverged) {
                err.println("lote: " + e.getMessage());
                return ExitCodes.FAILURE;
            }
            if (e instanceof dev.lote.data.BadDataException || e instanceof dev.lote.io.ModelFileException) {
                err.println("lote: " + e.getMessage());
                return ExitCodes.BAD_DATA;
            }
            err.println("lote: failed: " + e);
            e.printStackTrace(err);
            return ExitCodes.FAILURE;
        });
        return cli;
    }

    /** A run that failed in a way the user can act on: one line, exit code 1. */
    static final class Failure extends RuntimeException {
        Failure(String message) { super(message); }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override public String[] getVersion() {
            return new String[] {"lote " + dev.lote.LoteModel.version() + " (libtorch " + dev.lote.torch.Engine.version() + ")"};
        }
    }
}
