package dev.lote;

import dev.lote.TrainingRun.Diverged;
import dev.lote.TrainingRun.Result;
import dev.lote.TrainingRun.Sync;
import dev.lote.data.BadDataException;
import dev.lote.data.BatchSequence;
import dev.lote.data.DataException;
import dev.lote.data.DecodedCache;
import dev.lote.data.ImageFolder.Sample;
import dev.lote.data.SkippedFiles;
import dev.lote.data.Split;
import dev.lote.dist.Agreement;
import dev.lote.image.Resize;
import dev.lote.io.ModelInfo;
import dev.lote.nn.Shape;
import dev.lote.nn.Summary;
import dev.lote.torch.Network;
import dev.lote.torch.ProcessGroup;
import dev.lote.train.CsvLogger;
import dev.lote.train.History;
import dev.lote.train.ModelCheckpoint;
import dev.lote.train.RecipeCallbacks;
import dev.lote.train.TensorBoard;
import dev.lote.train.TerminateOnNaN;
import dev.lote.train.Trainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntFunction;
import java.util.stream.Collectors;

/**
 * A {@link TrainingRun}'s fit, once its model and images are chosen: the batch sequences and the decoded-image cache, the
 * world's agreement, the trainer with the callbacks the recipe and the run ask for, a multi-label model's thresholds,
 * the record written into the model file and the save.
 */
final class RunFit {
    /** Fine-tuning: the model after phase 1, in the checkpoint folder. */
    static final String PHASE_ONE_CHECKPOINT = "phase-1.lote";
    private final TrainingRun run;

    RunFit(TrainingRun run) { this.run = run; }

    /** Trains from {@code s}; {@code out} is the console (silent on ranks other than the lead, which alone saves). */
    Result fit(RunModels.Start s, PrintStream out, boolean lead) throws IOException {
        LoteModel m = s.model();
        List<Sample> train = s.train(), validation = s.validation();
        History history = s.history();
        int phaseTwoStart = s.phaseTwoStart();
        ModelInfo.Training past = run.past();
        Shape input = m.architecture().inputShape();
        Resize policy = Resize.parse(m.info().preprocessing().resize());
        if (run.summary) out.print(Summary.of(m.architecture()));
        Network net = m.network();
        SkippedFiles skipped = new SkippedFiles(run.warnings);
        int firstEpoch = past != null ? past.epochsDone() : history.epochs(), totalEpochs = phaseTwoStart + run.recipe.epochs();
        BatchSequence.ImageSource source = BatchSequence.decoding(s.decoder(), input, policy);
        DecodedCache decodedCache = cache(run, input, policy, source, train, validation, totalEpochs - firstEpoch, out);
        if (decodedCache != null) source = decodedCache;
        BatchSequence trainData = RunImages.training(run.recipe, train, input, source, skipped).shard(run.world.rank(), run.world.size());
        BatchSequence valData = validation.isEmpty() ? null : RunImages.sequence(run.recipe, validation, input, source, skipped).keepLast(true)
                .shard(run.world.rank(), run.world.size());
        String watched = run.recipe.monitor(valData != null);
        if (past != null) out.printf("Resuming at epoch %d of %d%n", firstEpoch + 1, totalEpochs);
        String fingerprint = RunRecord.fingerprint(train, validation, run.data.labels()); // once, now: files may go while training runs
        if (past != null && past.dataFingerprint() != null && !past.dataFingerprint().equals(fingerprint) && run.warnings != null) run.warnings.println(
                "lote: warning: the run's images changed since it started (files added, removed, or rewritten); resuming on them as they are now.");
        int phaseTwo = phaseTwoStart;
        IntFunction<ModelInfo.Training> record = done -> new ModelInfo.Training(run.data.root().toAbsolutePath().toString(),
                fingerprint, run.recipe.seed(), run.recipe.batchSize(), totalEpochs, done, run.recipe, run.world.size(), phaseTwo, RunRecord.environment(run.world),
                null, history.asMap(), RunRecord.files(train), RunRecord.files(validation),
                skipped.asMap().entrySet().stream().collect(Collectors.toMap(e -> e.getKey().toString(), Map.Entry::getValue)),
                run.data.labels() == null ? null : run.data.labels().toAbsolutePath().toString());

        ProcessGroup group = null;
        TensorBoard board = run.tensorBoard != null && lead ? new TensorBoard(run.tensorBoard).learningRate(() -> net.optimizer().learningRate()) : null;
        long start = System.nanoTime();
        try {
            if (run.world.distributed()) {
                group = Agreement.join(run.world, run.distTimeout, new Agreement.Job(run.recipe.seed(), fingerprint, run.recipe.batchSize(), trainData.size(),
                        firstEpoch, totalEpochs, m.architecture().parameterCount()), out);
                net.join(group); // every rank starts from rank 0's weights
            }
            TerminateOnNaN nan = new TerminateOnNaN(out);
            Trainer trainer = new Trainer(net).loader(run.workers, run.prefetch).callback(nan);
            if (lead && run.console != null) trainer.console(run.console);
            if (run.checkpointDir != null && lead) {
                ModelCheckpoint checkpoint = new ModelCheckpoint(run.checkpointDir, run.keepCheckpoints, watched,
                        (file, done) -> m.save(file, record.apply(done))).resuming(past != null ? history.asMap().get(watched) : null);
                trainer.callback(checkpoint);
                if (past == null && phaseTwoStart > 0) checkpoint.save(PHASE_ONE_CHECKPOINT, phaseTwoStart); // a run killed from here resumes after phase 1
            }
            if (run.recipe.fineTuning() != null && past != null) dev.lote.transfer.Backbone.learningRates(net, m.architecture(), run.recipe.fineTuning());
            RecipeCallbacks.add(trainer, run.recipe, net, watched, history, past != null, phaseTwoStart, out);
            if (run.csvLog != null && lead) trainer.callback(new CsvLogger(run.csvLog, past != null));
            if (board != null) {
                board.recipe(new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(run.recipe));
                trainer.callback(board);
            }
            run.callbacks.forEach(trainer::callback);
            if (firstEpoch < totalEpochs || past != null) trainer.fit(trainData, valData, firstEpoch, totalEpochs, history); // 0: a head alone
            if (nan.stopped()) throw new Diverged("Training diverged (the loss became " + history.last("loss") + ")"
                    + (run.output != null ? "; " + run.output + " was not written" : "") + ". Try a lower learning rate"
                    + (run.checkpointDir != null ? ", or resume an earlier checkpoint in " + run.checkpointDir : "") + ".");
            if (run.recipe.multiLabel()) thresholds(m, train, validation, out);
            m.record(record.apply(history.epochs()));
            if (board != null && !validation.isEmpty() && !run.recipe.multiLabel()) board.confusion(m.classes(), m.evaluate(Split.files(validation),
                    Split.labels(validation), run.recipe.batchSize(), 1, 0).confusion(), Math.max(0, history.epochs() - 1));
            if (lead && run.output != null) m.save(run.output);
            if (group != null) group.barrier(); // the model is on disk before any rank reports success
            double seconds = (System.nanoTime() - start) / 1e9;
            Sync sync = group == null ? null : new Sync(run.world.size(), group.syncs(), group.syncSeconds(),
                    1000 * group.syncSeconds() / Math.max(1, (long) trainData.size() * (history.epochs() - firstEpoch)));
            return new Result(m, history, history.epochs() - firstEpoch, seconds, skipped, sync);
        } catch (DataException e) {
            throw new BadDataException(e.getMessage(), e);
        } finally {
            if (decodedCache != null) decodedCache.close();
            if (group != null) group.close();
            if (board != null) board.close();
        }
    }

    /**
     * The decoded-image cache, where the run asked for one and (if automatic) it pays; null otherwise. Fine-tuning's
     * phase 1 opens it too, and phase 2 finds the images it decoded.
     */
    static DecodedCache cache(TrainingRun run, Shape input, Resize policy, BatchSequence.ImageSource decoding, List<Sample> train, List<Sample> validation,
                               int epochsLeft, PrintStream out) {
        if (run.cacheDir == null) return null;
        long bytes = DecodedCache.bytes(input, train.size() + validation.size());
        if (run.cacheBudget < Long.MAX_VALUE && !DecodedCache.pays(bytes, epochsLeft, run.cacheBudget, run.cacheDir)) {
            if (bytes > run.cacheBudget) out.printf(Locale.ROOT, "Decoding every image every epoch: the resized images take %.1f GB, "
                    + "over the cache's %.1f GB (--cache forces it)%n", bytes / 1e9, run.cacheBudget / 1e9);
            return null;
        }
        Path dir = run.world.distributed() ? run.cacheDir.resolve("rank-" + run.world.rank()) : run.cacheDir; // ranks never share a cache file
        List<Sample> all = new ArrayList<>(train);
        all.addAll(validation);
        DecodedCache c = DecodedCache.open(dir, Split.files(all), input, policy, decoding);
        out.println("Caching decoded images in " + c.file());
        return c;
    }

    /** Multi-label: each class's F1-optimal threshold, chosen on the validation images (the training ones when there are none). */
    private void thresholds(LoteModel m, List<Sample> train, List<Sample> validation, PrintStream out) {
        List<Sample> on = validation.isEmpty() ? train : validation;
        double[] t = m.fitThresholds(on, run.data.train().classes(), run.recipe.batchSize());
        out.printf(Locale.ROOT, "Thresholds chosen on %d %s images (best F1 per class): %s%n", on.size(), validation.isEmpty()
                ? "training" : "validation", java.util.stream.IntStream.range(0, t.length).mapToObj(c -> String.format(Locale.ROOT, "%s %.2f",
                m.classes().get(c), t[c])).collect(Collectors.joining(", ")));
    }
}
