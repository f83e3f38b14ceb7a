package dev.lote.cli;

import dev.lote.nn.Shape;
import picocli.CommandLine;

/** Converters shared by commands. */
final class Options {
    private Options() {}

    /** Parses {@code 768x1024} or {@code 768x1024x3}. */
    static final class ShapeConverter implements CommandLine.ITypeConverter<Shape> {
        @Override public Shape convert(String value) {
            try {
                return Shape.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    static int positive(CommandLine.Model.CommandSpec spec, String option, int value) {
        if (value <= 0) throw new CommandLine.ParameterException(spec.commandLine(), option + " must be positive, got " + value + ".");
        return value;
    }

    /** An optional probability flag ({@code --unknown-below P}): 0 to 1, else a one-line error, exit 2; absent is NaN. */
    static double probability(CommandLine.Model.CommandSpec spec, String option, Double value) {
        if (value == null) return Double.NaN;
        if (!(value >= 0 && value <= 1)) throw new CommandLine.ParameterException(spec.commandLine(), option
                + " is a probability from 0 to 1, got " + value + ".");
        return value;
    }

    /** A closed choice ({@code --format table|json|csv}): anything else is a one-line error, exit 2. */
    static String oneOf(String value, String option, String... allowed) {
        if (!java.util.List.of(allowed).contains(value)) throw new IllegalArgumentException("Unknown " + option + " '" + value
                + "'. Expected " + String.join(", ", allowed) + ".");
        return value;
    }

    /** {@code --backbone FILE} needs {@code --cut LAYER} (a torchvision name does not): said with the flags' names. */
    static void requireCut(String backbone, String cut) {
        if (cut == null && !dev.lote.transfer.Backbone.isTorchvision(backbone)) throw new IllegalArgumentException("--backbone "
                + backbone + " needs --cut LAYER: the layer whose output is the features (see 'lote summary --model " + backbone + "').");
    }
}
