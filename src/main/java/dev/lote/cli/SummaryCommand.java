package dev.lote.cli;

import dev.lote.cli.Options.ShapeConverter;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.nn.Summary;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print a model's layers, output shapes and parameter counts, as Keras' model.summary().")
final class SummaryCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", defaultValue = "seed-cnn", paramLabel = "NAME|FILE.json",
            description = "A preset or a Sequential spec in JSON (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--input", defaultValue = "768x1024x3", converter = ShapeConverter.class, paramLabel = "HxWxC",
            description = "Input size (default: ${DEFAULT-VALUE}).")
    Shape input;

    @Option(names = "--classes", defaultValue = "14", description = "Number of classes (default: ${DEFAULT-VALUE}).")
    int classes;

    @Override public Integer call() {
        Options.positive(spec, "--classes", classes);
        System.out.print(Summary.of(Presets.resolve(model, input, classes)));
        return ExitCodes.OK;
    }
}
