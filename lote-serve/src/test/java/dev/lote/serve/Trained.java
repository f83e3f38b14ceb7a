package dev.lote.serve;

import dev.lote.LoteModel;
import dev.lote.data.Dataset;
import dev.lote.report.Report;
import dev.lote.train.Recipe;
import java.nio.file.Path;

/** A model trained on {@code data} through the Java API, saved with its report beside it, as {@code lote train} does. */
final class Trained {
    private Trained() {}

    static Path model(Path data, int epochs, int batchSize, Path file) throws Exception {
        try (LoteModel m = LoteModel.train(Dataset.open(data), Recipe.defaults().withEpochs(epochs).withBatchSize(batchSize))) {
            m.save(file);
            Report.write(Report.besideModel(file), m.report(null, batchSize));
        }
        return file;
    }
}
