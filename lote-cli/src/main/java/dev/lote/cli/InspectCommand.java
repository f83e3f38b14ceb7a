package dev.lote.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.lote.data.ImageFolder;
import dev.lote.data.Inspection;
import dev.lote.image.Decoder;
import dev.lote.image.Limits;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Check a folder of class folders before training: counts, sizes, formats, bad files, duplicates. "
                + "Exit code 0 when clean, 1 when there are bad files or duplicates.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "Folder with one sub-folder of images per class.")
    Path dataDir;

    @Option(names = "--format", defaultValue = "table", paramLabel = "table|json",
            description = "A readable report or JSON (default: ${DEFAULT-VALUE}), as evaluate and predict.")
    String format;

    @Option(names = "--json", hidden = true, description = "Same as --format json.")
    boolean json;

    @Option(names = "--workers", defaultValue = "0", description = "Threads; 0 = cores (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--max-pixels", defaultValue = "100000000", paramLabel = "N",
            description = "Images whose header declares more pixels are bad (default: ${DEFAULT-VALUE}).")
    long maxPixels;

    @Override public Integer call() throws Exception {
        Options.oneOf(format, "--format", "table", "json");
        if (json) format = "json";
        ImageFolder folder = ImageFolder.scan(dataDir);
        int threads = workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
        Inspection r = Inspection.of(folder, new Decoder(new Limits(maxPixels, Limits.DEFAULT.maxFileBytes())), threads);
        PrintStream out = System.out;
        if (format.equals("json")) {
            out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(r));
        } else {
            out.println(folder.describe());
            out.println("Sizes (HxW): " + counts(r.sizes()));
            out.println("Formats: " + counts(r.formats()));
            if (r.imbalanceWarning() != null) out.println("Warning: " + r.imbalanceWarning());
            if (!r.badFiles().isEmpty()) {
                out.println("Bad files (" + r.badFiles().size() + "):");
                r.badFiles().forEach((f, why) -> out.println("  " + f + ": " + why));
            }
            if (!r.notes().isEmpty()) {
                out.println("Notes (" + r.notes().size() + " files decode and train, but a decoder has remarks; colours or a few blocks may be off):");
                r.notes().forEach((f, n) -> out.println("  " + f + ": " + String.join("; ", n)));
            }
            if (!r.duplicates().isEmpty()) {
                out.println("Identical files (" + r.duplicates().size() + " groups):");
                r.duplicates().forEach(g -> out.println("  " + String.join(" = ", g)));
            }
            out.println(r.clean() ? "Clean: every image decodes and none repeats." : "Problems found: see above.");
        }
        return r.clean() ? ExitCodes.OK : ExitCodes.FAILURE;
    }

    private static String counts(Map<String, Integer> m) {
        StringBuilder s = new StringBuilder();
        m.forEach((k, v) -> s.append(s.length() == 0 ? "" : ", ").append(k).append(" (").append(v).append(')'));
        return s.length() == 0 ? "none readable" : s.toString();
    }
}
