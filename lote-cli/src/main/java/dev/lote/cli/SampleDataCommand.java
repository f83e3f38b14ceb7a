package dev.lote.cli;

import dev.lote.cli.Options.ShapeConverter;
import dev.lote.nn.Shape;
import dev.lote.sample.IdxImages;
import dev.lote.sample.PastedPhotos;
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

    @Option(names = "--fashion-mnist", paramLabel = "DIR", arity = "0..1", fallbackValue = "/usr/share/datasets/fashion-mnist",
            description = "Instead of synthetic images, convert Fashion-MNIST's IDX files from DIR (Debian's dataset-fashion-mnist: "
                    + "${FALLBACK-VALUE}) into OUT/train and OUT/test.")
    Path fashionMnist;

    @Option(names = "--paste", paramLabel = "OBJECTS",
            description = "Instead of synthetic images, paste real cut-out objects (OBJECTS/<class>/<object>.png with transparency) "
                    + "on the background photos of --on, into OUT/train and OUT/test; test objects and backgrounds are never in train.")
    Path paste;

    @Option(names = "--on", paramLabel = "BACKGROUNDS", description = "Folder of background photos for --paste (searched recursively).")
    Path on;

    @Option(names = "--test-per-class", defaultValue = "20", description = "Test images per class with --paste (default: ${DEFAULT-VALUE}).")
    int testPerClass;

    @Option(names = "--multi-label", paramLabel = "IMAGES", arity = "0..1", fallbackValue = "600",
            description = "Instead of a folder per class, IMAGES images (${FALLBACK-VALUE} when not given) with 1 to 3 objects of "
                    + "different classes each, in OUT/images, and OUT/labels.csv naming them (file,label,split; labels joined by ;).")
    Integer multiLabel;

    @Override public Integer call() {
        long start = System.nanoTime();
        if (multiLabel != null) {
            SampleImages.writeMultiLabel(out, classes, multiLabel, size.height(), size.width(), seed);
            System.out.printf("Wrote %d images of %dx%d with 1 to 3 of %d classes each to %s/images, labelled in %s (%.1f s)%n", multiLabel,
                    size.height(), size.width(), classes, out, out.resolve("labels.csv"), (System.nanoTime() - start) / 1e9);
            return ExitCodes.OK;
        }
        if (paste != null) {
            if (on == null) throw new IllegalArgumentException("--paste needs --on BACKGROUNDS, a folder of background photos.");
            var s = PastedPhotos.write(paste, on, out, perClass, testPerClass, 0.3, size.height(), size.width(), seed);
            System.out.printf("Wrote %d training and %d test images of %dx%d in %d classes to %s/train and %s/test: %d objects and "
                    + "%d backgrounds for training, %d other objects and %d other backgrounds for testing (%.1f s)%n", s.trainImages(),
                    s.testImages(), size.height(), size.width(), s.classes().size(), out, out, s.trainObjects().size(), s.trainBackgrounds(),
                    s.testObjects().size(), s.testBackgrounds(), (System.nanoTime() - start) / 1e9);
            return ExitCodes.OK;
        }
        if (fashionMnist != null) {
            for (String part : new String[] {"train", "t10k"}) {
                Path images = fashionMnist.resolve(part + "-images-idx3-ubyte.gz"), labels = fashionMnist.resolve(part + "-labels-idx1-ubyte.gz");
                if (!java.nio.file.Files.exists(images)) throw new IllegalArgumentException("No " + images
                        + ". Install Debian's dataset-fashion-mnist or give the folder with --fashion-mnist DIR.");
                int n = IdxImages.convert(images, labels, out.resolve(part.equals("train") ? "train" : "test"), IdxImages.FASHION_MNIST);
                System.out.printf("Wrote %d Fashion-MNIST images to %s%n", n, out.resolve(part.equals("train") ? "train" : "test"));
            }
            System.out.printf("(%.1f s)%n", (System.nanoTime() - start) / 1e9);
            return ExitCodes.OK;
        }
        SampleImages.write(out, classes, perClass, size.height(), size.width(), seed);
        System.out.printf("Wrote %d images of %dx%d in %d classes to %s (%.1f s)%n", classes * perClass, size.height(),
                size.width(), classes, out, (System.nanoTime() - start) / 1e9);
        return ExitCodes.OK;
    }
}
