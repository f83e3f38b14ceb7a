package dev.lote.cli;

import dev.lote.bench.StepBench;
import dev.lote.cli.Options.ShapeConverter;
import dev.lote.nn.Shape;
import dev.lote.torch.Engine;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks kept with the project.",
        subcommands = {BenchCommand.Step.class})
final class BenchCommand implements Runnable {
    @Spec CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    @Command(name = "step", mixinStandardHelpOptions = true,
            description = "Training steps of the seed model on in-memory batches: ms/step, images/s, peak RSS.")
    static final class Step implements Callable<Integer> {
        @Spec CommandSpec spec;

        @Option(names = "--input", defaultValue = "768x1024x3", converter = ShapeConverter.class, paramLabel = "HxWxC",
                description = "Input size (default: ${DEFAULT-VALUE}).")
        Shape input;

        @Option(names = "--classes", defaultValue = "14", description = "Classes (default: ${DEFAULT-VALUE}).")
        int classes;

        @Option(names = "--batch-size", defaultValue = "5", description = "Batch size (default: ${DEFAULT-VALUE}).")
        int batchSize;

        @Option(names = "--steps", defaultValue = "10", description = "Timed steps (default: ${DEFAULT-VALUE}).")
        int steps;

        @Option(names = "--warmup", defaultValue = "2", description = "Untimed steps first (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads; 0 = all cores (default: ${DEFAULT-VALUE}).")
        int threads;

        @Override public Integer call() {
            Options.positive(spec, "--steps", steps);
            Options.positive(spec, "--batch-size", batchSize);
            Engine.start(threads);
            StepBench.Result r = StepBench.seedCnn(input, classes, batchSize, warmup, steps);
            System.out.printf("seed-cnn %s batch %d, %d threads: %.0f ms/step median (%.0f mean), %.2f images/s, peak RSS %.2f GB%n",
                    input, batchSize, Engine.threads(), r.medianMs(), r.meanMs(), r.imagesPerSecond(), r.peakRssBytes() / 1e9);
            return ExitCodes.OK;
        }
    }
}
