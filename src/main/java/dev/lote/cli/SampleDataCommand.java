package dev.lote.cli;

import dev.lote.cli.Options.ShapeConverter;
import dev.lote.nn.Shape;
import dev.lote.sample.SampleImages;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "sample-data", mixinStandardHelpOptions = true,
        description = "Write a folder of synthetic, learnable JPEG images: OUT/<class>/<class>_<i>.jpg.")
final class SampleDataCommand implements Callable<Integer> {
    @Parameters(paramLabel = "OUT", description = "Folder to write (created if missing).")
    Path out;

    @Option(names = "--classes", defaultValue = "14", description = "Number of classes, 2 to 28 (default: ${DEFAULT-VALUE}).")
    int classes;

    @Option(names = "--per-class", defaultValue = "100", description = "Images per class (default: ${DEFAULT-VALUE}).")
    int perClass;

    @Option(names = "--size", defaultValue = "768x1024", converter = ShapeConverter.class, paramLabel = "HxW",
            description = "Image height x width (default: ${DEFAULT-VALUE}).")
    Shape size;

    @Option(names = "--seed", defaultValue = "42", description = "Same seed, same images (default: ${DEFAULT-VALUE}).")
    long seed;

    @Override public Integer call() {
        long start = System.nanoTime();
        SampleImages.write(out, classes, perClass, size.height(), size.width(), seed);
        System.out.printf("Wrote %d images of %dx%d in %d classes to %s (%.1f s)%n", classes * perClass, size.height(),
                size.width(), classes, out, (System.nanoTime() - start) / 1e9);
        return ExitCodes.OK;
    }
}
