package dev.lote.cli;

import dev.lote.torch.Engine;
import dev.lote.torch.Precision;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --threads} and {@code --precision}: how the engine runs, for every command that runs a model. */
final class EngineFlags {
    @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads; 0 = all cores (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--precision", defaultValue = "float32", paramLabel = "float32|bf16", converter = PrecisionConverter.class,
            description = "bf16 runs convolutions in bfloat16, with weights, Adam and outputs in float32 (Keras' mixed_bfloat16): "
                    + "faster and leaner on CPUs with AVX512-BF16 or AMX, refused on others (default: ${DEFAULT-VALUE}).")
    Precision precision;

    /** Starts the engine so (a CPU without bf16 is a one-line error, exit 2). */
    void start(CommandLine.Model.CommandSpec spec) {
        if (threads < 0) Options.positive(spec, "--threads", threads);
        Engine.start(Engine.options().threads(threads).precision(precision));
    }

    /** The same flags for a `lote` process this one starts (bench serve's server); a precision this CPU lacks is refused here first. */
    java.util.List<String> forChild(CommandLine.Model.CommandSpec spec) {
        if (threads < 0) Options.positive(spec, "--threads", threads);
        String why = Precision.unsupported(precision);
        if (why != null) throw new IllegalArgumentException(why + ".");
        return java.util.List.of("--threads", Integer.toString(threads), "--precision", precision.toString());
    }

    static final class PrecisionConverter implements CommandLine.ITypeConverter<Precision> {
        @Override public Precision convert(String value) {
            try {
                return Precision.parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
