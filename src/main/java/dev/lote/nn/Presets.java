package dev.lote.nn;

import static dev.lote.nn.Activation.RELU;
import static dev.lote.nn.Activation.SOFTMAX;
import static dev.lote.nn.Padding.SAME;

import java.util.List;

/** Named architectures that {@code --model NAME} selects. */
public final class Presets {
    public static final List<String> NAMES = List.of("seed-cnn");

    private Presets() {}

    /** The notebook's model: 18,447,248 parameters for 768×1024×3 input and 14 classes. */
    public static Sequential seedCnn(Shape input, int classes) {
        return new Sequential(input, List.of(
                new DepthwiseConv2D(3).padding(SAME).activation(RELU),
                new Conv2D(16, 1).padding(SAME).activation(RELU),
                new MaxPooling2D(3),
                new Conv2D(32, 3).padding(SAME).activation(RELU),
                new MaxPooling2D(3),
                new Flatten(),
                new Dense(60).activation(RELU),
                new Dense(classes).activation(SOFTMAX)));
    }

    /** A preset by name, or a JSON spec file when {@code nameOrFile} ends in {@code .json}. */
    public static Sequential resolve(String nameOrFile, Shape input, int classes) {
        if (nameOrFile.toLowerCase().endsWith(".json")) {
            Sequential spec = Sequential.read(java.nio.file.Path.of(nameOrFile), input);
            if (spec.classes() != classes) throw new IllegalArgumentException(nameOrFile + ": the last Dense layer has "
                    + spec.classes() + " units but the data has " + classes + " classes.");
            return spec;
        }
        return switch (nameOrFile) {
            case "seed-cnn" -> seedCnn(input, classes);
            default -> throw new IllegalArgumentException("Unknown model '" + nameOrFile + "'. Available presets are: "
                    + NAMES + ", or a spec file ending in .json.");
        };
    }
}
