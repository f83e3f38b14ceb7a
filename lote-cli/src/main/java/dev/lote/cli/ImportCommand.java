package dev.lote.cli;

import dev.lote.LoteModel;
import dev.lote.data.ImageFolder;
import dev.lote.nn.Shape;
import dev.lote.nn.Summary;
import java.nio.file.Path;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "import", mixinStandardHelpOptions = true,
        description = "Import a Keras model (.keras, .h5) or a TensorFlow.js layers model (a folder, model.json, or a JS "
                + "module that bundles one, as Teachable Machine and nsfwjs export) as a Lote model file, weights included.")
final class ImportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FILE", description = "model.keras, model.h5, a tfjs folder or its model.json.")
    Path file;

    @Option(names = {"-o", "--output"}, defaultValue = "model.lote", description = "The model file to write (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--classes", split = ",", paramLabel = "A,B,C", description = "Class names in output order (default: 0, 1, 2, …).")
    List<String> classes;

    @Option(names = "--classes-from", paramLabel = "DIR", description = "Take the class names from this folder's class folders.")
    Path classesFrom;

    @Option(names = "--input", paramLabel = "HxW", description = "The input size, where the file leaves it open.")
    String input;

    @Option(names = "--pixels", paramLabel = "unit|raw|symmetric",
            description = "The pixel range the model expects: 0…1, 0…255 or −1…1 (default: raw when the model begins with "
                    + "its own Rescaling or Normalization, else unit).")
    String pixels;

    @Override public Integer call() throws Exception {
        if (classes != null && classesFrom != null) throw new IllegalArgumentException("Give --classes or --classes-from, not both.");
        List<String> names = classesFrom != null ? ImageFolder.scan(classesFrom).classes() : classes;
        Shape size = input == null ? null : Shape.parse(input);
        try (LoteModel model = LoteModel.importKeras(file, names, size)) {
            if (pixels != null) model.pixels(pixels);
            System.out.print(Summary.of(model.architecture()));
            model.save(output, null);
            System.out.println("Imported " + file + " (" + model.classes().size() + " classes: " + preview(model.classes())
                    + "; pixels × " + model.info().preprocessing().scale() + ") to " + output);
        }
        return ExitCodes.OK;
    }

    private static String preview(List<String> c) {
        return c.size() <= 6 ? String.join(", ", c) : String.join(", ", c.subList(0, 5)) + ", …";
    }

}
