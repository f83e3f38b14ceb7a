package dev.lote.cli;

import dev.lote.cli.Options.ShapeConverter;
import dev.lote.io.ModelFile;
import dev.lote.keras.KerasImport;
import dev.lote.nn.Model;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.nn.Summary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print a model's layers, output shapes and parameter counts, as Keras' model.summary().")
final class SummaryCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--model", defaultValue = "seed-cnn", paramLabel = "NAME|FILE",
            description = "A preset, a spec in JSON, a .lote model file, or a Keras/TensorFlow.js model (.keras, .h5, "
                    + "model.json) (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--input", defaultValue = "768x1024x3", converter = ShapeConverter.class, paramLabel = "HxWxC",
            description = "Input size (default: ${DEFAULT-VALUE}).")
    Shape input;

    @Option(names = "--classes", defaultValue = "14", description = "Number of classes (default: ${DEFAULT-VALUE}).")
    int classes;

    @Override public Integer call() throws Exception {
        Options.positive(spec, "--classes", classes);
        String m = model.toLowerCase(java.util.Locale.ROOT);
        Model architecture = m.endsWith(".lote") ? ModelFile.load(Path.of(model)).architecture()
                : m.endsWith(".keras") || m.endsWith(".h5") || m.endsWith("model.json") || m.endsWith(".js") || Files.isDirectory(Path.of(model))
                ? KerasImport.read(Path.of(model), null).model() : Presets.resolve(model, input, classes);
        System.out.print(Summary.of(architecture));
        return ExitCodes.OK;
    }
}
