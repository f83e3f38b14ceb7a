package dev.lote.cli;

import dev.lote.LoteModel;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a Lote model in another framework's format: a Keras 3 .keras file (architecture and weights).")
final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A .lote model file.")
    Path modelFile;

    @Option(names = "--format", defaultValue = "keras", paramLabel = "keras", description = "The format (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The file to write, e.g. model.keras.")
    Path output;

    @Override public Integer call() throws Exception {
        if (!format.equals("keras")) throw new IllegalArgumentException("Unknown format '" + format + "'. Expected keras.");
        try (LoteModel model = LoteModel.load(modelFile)) {
            model.exportKeras(output);
        }
        System.out.println("Wrote " + output + " (Keras 3; load it with keras.saving.load_model)");
        return ExitCodes.OK;
    }
}
