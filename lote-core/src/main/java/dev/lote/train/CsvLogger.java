package dev.lote.train;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.stream.Collectors;

/** Appends one row per epoch ({@code epoch,accuracy,loss,…}) to a CSV file, as Keras' {@code CSVLogger}. */
public final class CsvLogger implements Callback {
    private final Path file;
    private final boolean append;
    private boolean headerWritten;

    public CsvLogger(Path file, boolean append) {
        this.file = file;
        this.append = append;
    }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
        headerWritten = append && Files.exists(file);
        if (!append) write("", StandardOpenOption.TRUNCATE_EXISTING);
    }

    @Override public void onEpochEnd(int epoch, Logs logs) {
        if (!headerWritten) {
            write("epoch," + String.join(",", logs.asMap().keySet()) + "\n", StandardOpenOption.APPEND);
            headerWritten = true;
        }
        write(epoch + "," + logs.asMap().values().stream().map(v -> String.format(Locale.ROOT, "%.6f", v))
                .collect(Collectors.joining(",")) + "\n", StandardOpenOption.APPEND);
    }

    private void write(String text, StandardOpenOption mode) {
        try {
            Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.WRITE, mode);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the CSV log " + file + ": " + e.getMessage(), e);
        }
    }
}
