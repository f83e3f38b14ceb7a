package dev.lote.nn;

import static dev.lote.nn.Activation.RELU;
import static dev.lote.nn.Activation.SOFTMAX;
import static dev.lote.nn.Padding.SAME;

import java.util.List;

/** Named architectures that {@code --model NAME} selects. */
public final class Presets {
    public static final List<String> NAMES = List.of("small-cnn", "seed-cnn");

    /** The longest side the small CNN works at; larger photos are scaled down to it, keeping their aspect ratio. */
    static final int SMALL_CNN_SIDE = 128;

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

    /**
     * The default recipe's model: conv blocks (3×3 conv + ReLU, batch normalisation with momentum 0.9, 2×2 pooling
     * between), global average pooling, dropout and a softmax layer. Four blocks (widths 32 → 256, 0.39 M parameters);
     * a fifth of width 256 (0.98 M) when the shorter input side is 64 or more, so that the last convolution still
     * sees whole objects: on real photos at 96×128 it recognised unseen objects 0.275 of the time against 0.232.
     * Either way far too small to learn 1,400 photos by heart the way seed-cnn's 18.4 M-parameter Dense layer does.
     */
    public static Sequential smallCnn(Shape input, int classes) {
        List<Layer> layers = new java.util.ArrayList<>();
        int[] widths = Math.min(input.height(), input.width()) >= 64 ? new int[] {32, 64, 128, 256, 256} : new int[] {32, 64, 128, 256};
        for (int i = 0; i < widths.length; i++) {
            layers.add(new Conv2D(widths[i], 3).padding(SAME).activation(RELU));
            layers.add(new BatchNormalization(0.9, 1e-3)); // Keras' 0.99 lags for hundreds of steps: small sets validate at chance
            if (i < widths.length - 1) layers.add(new MaxPooling2D(2));
        }
        layers.add(new GlobalAveragePooling2D());
        layers.add(new Dropout(0.3));
        layers.add(new Dense(classes).activation(SOFTMAX));
        return new Sequential(input, layers);
    }

    /**
     * The input size a preset uses for images of {@code first}'s size: seed-cnn takes them as they are (the
     * notebook's 768×1024); small-cnn scales them down so the longer side is at most 128 (768×1024 → 96×128: on
     * real photos this recognised unseen objects twice as often as 192×256 did, in less time; bench/real-photos.sh).
     */
    public static Shape defaultInput(String preset, Shape first) {
        if (!preset.equals("small-cnn")) return first;
        int h = first.height(), w = first.width(), longest = Math.max(h, w);
        if (longest <= SMALL_CNN_SIDE) return first;
        double f = SMALL_CNN_SIDE / (double) longest;
        return Shape.image(Math.max(8, (int) Math.round(h * f)), Math.max(8, (int) Math.round(w * f)), first.channels());
    }

    /** A preset by name, or a JSON spec file when {@code nameOrFile} ends in {@code .json}. */
    public static Model resolve(String nameOrFile, Shape input, int classes) {
        if (nameOrFile.toLowerCase().endsWith(".json")) {
            Model spec = Sequential.read(java.nio.file.Path.of(nameOrFile), input);
            if (spec.classes() != classes) throw new IllegalArgumentException(nameOrFile + ": the model gives "
                    + spec.classes() + " outputs but the data has " + classes + " classes.");
            return spec;
        }
        return switch (nameOrFile) {
            case "seed-cnn" -> seedCnn(input, classes);
            case "small-cnn" -> smallCnn(input, classes);
            default -> throw new IllegalArgumentException("Unknown model '" + nameOrFile + "'. Available presets are: "
                    + NAMES + ", or a spec file ending in .json.");
        };
    }
}
