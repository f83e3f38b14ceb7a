package dev.lote.cli;

import dev.lote.cli.Options.ShapeConverter;
import dev.lote.LoteModel;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.nn.Summary;
import dev.lote.nn.Torchvision;
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
            description = "A preset, one of torchvision's architectures (resnet18, resnet50, mobilenet_v2, mobilenet_v3_small, "
                    + "mobilenet_v3_large, efficientnet_b0), a spec in JSON, a .lote model file, or a Keras/TensorFlow.js model (.keras, .h5, "
                    + "model.json) (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--input", converter = ShapeConverter.class, paramLabel = "HxWxC",
            description = "Input size (default: 768x1024x3, the notebook's; 224x224x3 for torchvision's architectures).")
    Shape input;

    @Option(names = "--classes", description = "Number of classes (default: 14, the notebook's; 1000 for torchvision's architectures).")
    Integer classes;

    @Override public Integer call() throws Exception {
        boolean torchvision = Torchvision.has(model);
        if (input == null) input = torchvision ? Shape.image(224, 224, 3) : Shape.image(768, 1024, 3);
        if (classes == null) classes = torchvision ? 1000 : 14;
        Options.positive(spec, "--classes", classes);
        System.out.print(Summary.of(LoteModel.isModelFile(model) ? LoteModel.architecture(Path.of(model))
                : torchvision ? Torchvision.build(model, input, classes) : Presets.resolve(model, input, classes)));
        return ExitCodes.OK;
    }
}
