package dev.lote.cli;

import dev.lote.cli.Options.ShapeConverter;
import dev.lote.data.BatchSequence;
import dev.lote.data.DataException;
import dev.lote.data.Dataset;
import dev.lote.data.DecodedCache;
import dev.lote.data.ImageFolder;
import dev.lote.data.ImageFolder.Sample;
import dev.lote.data.SkippedFiles;
import dev.lote.data.Split;
import dev.lote.image.BadImageException;
import dev.lote.image.Decoder;
import dev.lote.image.Header;
import dev.lote.image.Limits;
import dev.lote.image.Resize;
import dev.lote.nn.Presets;
import dev.lote.nn.Shape;
import dev.lote.transfer.Backbone;
import dev.lote.transfer.HeadTraining;
import dev.lote.weights.WeightCache;
import dev.lote.nn.Summary;
import dev.lote.torch.Engine;
import dev.lote.train.History;
import dev.lote.train.ProgressBar;
import dev.lote.train.Trainer;
import dev.lote.LoteModel;
import dev.lote.data.Fingerprint;
import dev.lote.io.ModelInfo;
import dev.lote.image.Augmentation;
import dev.lote.nn.Adam;
import dev.lote.report.Report;
import dev.lote.train.CosineDecay;
import dev.lote.train.CsvLogger;
import dev.lote.train.OverfittingWarning;
import dev.lote.train.EarlyStopping;
import dev.lote.train.ModelCheckpoint;
import dev.lote.train.ReduceLROnPlateau;
import dev.lote.train.TerminateOnNaN;
import java.io.OutputStream;
import java.io.PrintStream;
import java.time.Duration;
import dev.lote.dist.World;
import dev.lote.torch.ProcessGroup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Train a classifier from a folder of class folders (DIR/<class>/<image>, or DIR/train, DIR/val).")
final class TrainCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "DIR", arity = "0..1",
            description = "Folder with one sub-folder of images per class (with --resume: the run's folder by default).")
    Path dataDir;

    @Option(names = "--epochs", description = "Passes over the training data (default: 30, stopped early when validation "
            + "stops improving; 5 with seed-cnn, as the notebook; with --resume, the run's plan).")
    Integer epochs;

    @Option(names = "--batch-size", description = "Images per step (default: 32; 5 with seed-cnn, as the notebook).")
    Integer batchSize;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for weights, split and shuffling (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-o", "--output"}, defaultValue = "model.lote", paramLabel = "FILE",
            description = "Where to write the trained model (default: ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--resume", paramLabel = "FILE",
            description = "Continue the run saved in FILE (a model or checkpoint) at its next epoch, exactly as if it had not stopped.")
    Path resume;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Save DIR/epoch-NNN.lote after every epoch and DIR/best.lote.")
    Path checkpointDir;

    @Option(names = "--keep-checkpoints", defaultValue = "3", description = "Epoch checkpoints kept (default: ${DEFAULT-VALUE}).")
    int keepCheckpoints;

    @Option(names = "--monitor", paramLabel = "METRIC",
            description = "Metric for the best checkpoint, early stopping and --reduce-lr (default: val_loss with validation, else loss).")
    String monitor;

    @Option(names = "--early-stopping", defaultValue = "auto", paramLabel = "PATIENCE|off",
            description = "Stop when the monitored metric has not improved for PATIENCE epochs, and keep the best epoch's weights "
                    + "(default: 10 with validation data, off with seed-cnn).")
    String earlyStopping;

    @Option(names = "--min-delta", defaultValue = "0", description = "Smallest change that counts as an improvement (default: ${DEFAULT-VALUE}).")
    double minDelta;

    @Option(names = "--reduce-lr", paramLabel = "PATIENCE", description = "Halve the learning rate when the monitored metric stalls for PATIENCE epochs.")
    Integer reduceLr;

    @Option(names = "--csv-log", paramLabel = "FILE", description = "Append one row of metrics per epoch to FILE.")
    Path csvLog;

    @Option(names = "--model", defaultValue = "small-cnn", paramLabel = "NAME|FILE",
            description = "A preset (small-cnn: a small CNN that generalizes; seed-cnn: the notebook's CNN, trained with the "
                    + "notebook's recipe), a spec in JSON (Lote's layer list or a Keras config), or a model to start from: "
                    + "a .lote, .keras or .h5 file or a TensorFlow.js model (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--backbone", paramLabel = "NAME|FILE",
            description = "Fine-tune a pretrained network: one of torchvision's (resnet18, resnet50, mobilenet_v2, mobilenet_v3_small, "
                    + "mobilenet_v3_large, efficientnet_b0; ImageNet weights, downloaded once) or a model file (.lote, .keras, .h5, "
                    + "TensorFlow.js) cut at --cut LAYER. Phase 1 trains a new head on cached features (--head-epochs), phase 2 "
                    + "the whole network (--epochs, default 10) at a lower learning rate for the backbone.")
    String backbone;

    @Option(names = "--cut", paramLabel = "LAYER", description = "With --backbone FILE: the layer whose output is the features.")
    String cut;

    @Option(names = "--backbone-weights", paramLabel = "FILE", description = "The backbone's weights (.pth or .safetensors) instead of downloading them.")
    Path backboneWeights;

    @Option(names = "--head-epochs", defaultValue = "100", description = "Phase 1's epochs at most: the head on frozen features, "
            + "a fraction of a second each; it stops when val_loss has not improved for 5 (default: ${DEFAULT-VALUE}).")
    int headEpochs;

    @Option(names = "--backbone-lr-scale", defaultValue = "0.1",
            description = "Phase 2: the backbone's learning rate as a share of the head's (default: ${DEFAULT-VALUE}).")
    double backboneLrScale;

    @Option(names = "--augment", defaultValue = "auto", paramLabel = "default|none|flip,crop,rotate,color,noise,blur",
            description = "Random changes to training images (default: 'default' = flip,crop,rotate,color; none with seed-cnn).")
    String augment;

    @Option(names = "--lr-schedule", defaultValue = "auto", paramLabel = "constant|cosine",
            description = "Learning-rate schedule (default: cosine decay over the planned epochs; constant with seed-cnn).")
    String lrSchedule;

    @Option(names = "--learning-rate", defaultValue = "1e-3", description = "Adam's learning rate (default: ${DEFAULT-VALUE}).")
    double learningRate;

    @Option(names = "--weight-decay", defaultValue = "0", description = "Decoupled weight decay (AdamW) (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--image-size", converter = ShapeConverter.class, paramLabel = "HxW",
            description = "Model input size; images are resized to it (default: the first image's size).")
    Shape imageSize;

    @Option(names = "--resize", defaultValue = "stretch", paramLabel = "stretch|crop|pad",
            description = "How images of another size are fitted (default: ${DEFAULT-VALUE}).")
    String resize;

    @Option(names = "--validation-split", defaultValue = "0.2", paramLabel = "FRACTION",
            description = "Hold out this fraction of each class for validation; 0 trains on everything (default: ${DEFAULT-VALUE}; "
                    + "a val/ folder beside train/ is used instead when present).")
    double validationSplit;

    @Option(names = "--strict", description = "Stop at the first bad image (default: name it once, skip it, go on).")
    boolean strict;

    @Option(names = "--cache", arity = "0..1", paramLabel = "DIR", fallbackValue = "",
            description = "Keep decoded, resized images on disk so epochs 2+ decode nothing (default folder: ~/.cache/lote/images).")
    String cache;

    @Option(names = "--workers", defaultValue = "0", description = "Threads decoding images; 0 = cores (default: ${DEFAULT-VALUE}).")
    int workers;

    @Option(names = "--prefetch", defaultValue = "4", description = "Batches decoded ahead (default: ${DEFAULT-VALUE}).")
    int prefetch;

    @Option(names = "--max-pixels", defaultValue = "100000000", paramLabel = "N",
            description = "Refuse images whose header declares more pixels (default: ${DEFAULT-VALUE}).")
    long maxPixels;

    @Option(names = "--threads", defaultValue = "0", description = "Intra-op threads; 0 = all cores (default: ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--keep-last-batch", description = "Also train on the last, partial batch (the notebook drops it).")
    boolean keepLast;

    @Option(names = "--summary", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Print the model summary before training (default: ${DEFAULT-VALUE}).")
    boolean summary;

    @Option(names = "--world-size", paramLabel = "N",
            description = "Train data-parallel in N processes (default: WORLD_SIZE, else 1); each takes its shard of every batch.")
    Integer worldSize;

    @Option(names = "--rank", paramLabel = "R", description = "This process's rank, 0 to N-1 (default: RANK, else 0); rank 0 writes the files.")
    Integer rank;

    @Option(names = "--master", paramLabel = "HOST:PORT",
            description = "Where rank 0 listens for the others (default: MASTER_ADDR:MASTER_PORT).")
    String master;

    @Option(names = "--dist-timeout", defaultValue = "120", paramLabel = "SECONDS",
            description = "How long ranks wait for each other before giving up (default: ${DEFAULT-VALUE}).")
    int distTimeout;

    @Option(names = "--report", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Write MODEL-report.html beside the model: learning curves, confusion matrix on the validation "
                    + "images, highest-loss images (default: ${DEFAULT-VALUE}).")
    boolean report;

    private World world = World.ALONE;

    @Override public Integer call() throws Exception {
        if (batchSize != null) Options.positive(spec, "--batch-size", batchSize);
        Options.positive(spec, "--prefetch", prefetch);
        if (epochs != null && !(backbone != null && epochs == 0)) Options.positive(spec, "--epochs", epochs); // 0: the head alone
        if (threads < 0) Options.positive(spec, "--threads", threads);
        if (workers < 0) Options.positive(spec, "--workers", workers);
        Options.positive(spec, "--dist-timeout", distTimeout);
        world = World.resolve(worldSize, rank, master, System.getenv());
        boolean lead = world.rank() == 0; // rank 0 alone prints, saves and reports
        PrintStream out = lead ? System.out : new PrintStream(OutputStream.nullOutputStream());
        if (lead) checkWritable(output);
        Engine.start(threads);
        LoteModel resumed = resume == null ? null : LoteModel.load(resume);
        ModelInfo.Training past = resumed == null ? null : resumed.info().training();
        if (resumed != null && past == null) throw new IllegalArgumentException(resume + " has no training record to resume.");
        if (past != null) { // the run's own settings, so it continues exactly
            var parsed = spec.commandLine().getParseResult();
            if (parsed != null && parsed.hasMatchedOption("--seed") && seed != past.seed()) throw new IllegalArgumentException("--seed "
                    + seed + " differs from the run's seed " + past.seed() + "; a resumed run keeps its seed (drop --seed, or train anew).");
            if (parsed != null && parsed.hasMatchedOption("--batch-size") && batchSize != null && batchSize != past.batchSize()) {
                throw new IllegalArgumentException("--batch-size " + batchSize + " differs from the run's " + past.batchSize()
                        + "; a resumed run keeps its batches (drop --batch-size, or train anew).");
            }
            seed = past.seed();
            batchSize = past.batchSize();
            if (dataDir == null) dataDir = Path.of(past.data());
            model = past.settings().getOrDefault("--model", model);
            augment = past.settings().getOrDefault("--augment", augment);
            lrSchedule = past.settings().getOrDefault("--lr-schedule", lrSchedule);
            learningRate = Double.parseDouble(past.settings().getOrDefault("--learning-rate", Double.toString(learningRate)));
            backbone = past.settings().get("--backbone");
            backboneLrScale = Double.parseDouble(past.settings().getOrDefault("--backbone-lr-scale", Double.toString(backboneLrScale)));
            phaseTwoStart = Integer.parseInt(past.settings().getOrDefault("phase_2_start", "0"));
        }
        if (dataDir == null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing required parameter: 'DIR'");
        if (past != null && Integer.parseInt(past.settings().getOrDefault("--world-size", "1")) != world.size()) {
            throw new IllegalArgumentException("The run in " + resume + " was trained by " + past.settings().getOrDefault("--world-size", "1")
                    + " process(es); resume it with the same number (--world-size), so its batches stay the same.");
        }
        // the notebook's recipe stays exactly the notebook's; everything else gets the recipe that generalizes
        boolean notebook = model.equals("seed-cnn");
        if (batchSize == null) batchSize = notebook ? 5 : 32;
        int plannedEpochs = epochs != null ? epochs : past != null ? past.epochsPlanned() : notebook ? 5 : backbone != null ? 10 : 30;
        Augmentation augmentation = Augmentation.parse(augment.equals("auto") ? (notebook ? "none" : "default") : augment);
        augment = augmentation.label();
        if (lrSchedule.equals("auto")) lrSchedule = notebook ? "constant" : "cosine";
        if (!List.of("constant", "cosine").contains(lrSchedule)) throw new IllegalArgumentException("Unknown learning-rate schedule '"
                + lrSchedule + "'. Expected constant or cosine.");
        Integer patience = earlyStopping.equals("off") || (earlyStopping.equals("auto") && notebook) ? null
                : earlyStopping.equals("auto") ? Integer.valueOf(backbone != null ? 5 : 10) : parsePatience(earlyStopping);
        boolean resizeGiven = spec.commandLine().getParseResult() != null && spec.commandLine().getParseResult().hasMatchedOption("--resize");
        Resize policy = resumed != null ? Resize.parse(resumed.info().preprocessing().resize())
                : backbone != null && !resizeGiven ? Resize.CROP : Resize.parse(resize); // pretrained nets saw centre crops
        Decoder decoder = new Decoder(new Limits(maxPixels, Limits.DEFAULT.maxFileBytes()));

        Dataset dataset = Dataset.open(dataDir);
        ImageFolder folder = dataset.train();
        out.println(folder.describe());
        List<Sample> train = folder.samples(), validation = List.of();
        if (past != null) {
            train = samples(past.trainFiles(), resumed.classes());
            validation = samples(past.validationFiles(), resumed.classes());
        } else if (dataset.hasValidationFolder()) {
            validation = dataset.validation().orElseThrow().samples();
            out.println("Using " + validation.size() + " validation images from " + dataset.validation().orElseThrow().root());
        } else if (validationSplit > 0) {
            Split split = Split.stratified(folder.samples(), folder.classes().size(), validationSplit, seed);
            train = split.train();
            validation = split.validation();
            out.printf(Locale.ROOT, "Using %d images for training, %d for validation (%.0f %% of each class)%n",
                    train.size(), validation.size(), validationSplit * 100);
        }
        LoteModel model = resumed;
        History history = past != null ? History.of(past.history()) : new History();
        if (model == null && backbone != null) {
            model = fineTuned(folder.classes(), train, validation, decoder, policy, history, out);
            phaseTwoStart = history.epochs();
            plannedEpochs += phaseTwoStart; // the head's epochs come first in the history
        } else if (model == null && startsFromFile(this.model)) {
            model = LoteModel.startFrom(Path.of(this.model), folder.classes(), policy, seed);
            if (imageSize != null && !imageSize.equals(model.architecture().inputShape())) throw new IllegalArgumentException("--image-size "
                    + imageSize + " differs from " + this.model + "'s input " + model.architecture().inputShape() + ".");
            model.network().optimizer(new Adam(learningRate).withWeightDecay(weightDecay));
        } else if (model == null) {
            Shape input = imageSize != null ? imageSize : Presets.defaultInput(this.model, inputShape(decoder, folder));
            model = LoteModel.create(Presets.resolve(this.model, input, folder.classes().size()), folder.classes(), policy, seed);
            model.network().optimizer(new Adam(learningRate).withWeightDecay(weightDecay));
        } else if (!model.classes().equals(folder.classes())) {
            throw new IllegalArgumentException("The classes in " + dataDir + " " + folder.classes() + " differ from the run's " + model.classes() + ".");
        }
        Shape input = model.architecture().inputShape();
        if (summary) out.print(Summary.of(model.architecture()));

        SkippedFiles skipped = new SkippedFiles(System.err);
        BatchSequence.ImageSource source = BatchSequence.decoding(decoder, input, policy);
        DecodedCache decodedCache = null;
        if (cache != null) {
            Path dir = cache.isEmpty() ? Path.of(System.getProperty("user.home"), ".cache", "lote", "images") : Path.of(cache);
            if (world.distributed()) dir = dir.resolve("rank-" + world.rank()); // ranks on one machine never share a cache file
            List<Sample> all = new ArrayList<>(train);
            all.addAll(validation);
            decodedCache = DecodedCache.open(dir, Split.files(all), input, policy, source);
            source = decodedCache;
            out.println("Caching decoded images in " + decodedCache.file());
        }
        BatchSequence trainData = sequence(train, input, source, skipped).keepLast(keepLast).augment(augmentation)
                .shard(world.rank(), world.size());
        BatchSequence valData = validation.isEmpty() ? null : sequence(validation, input, source, skipped).keepLast(true)
                .shard(world.rank(), world.size());
        String watched = monitor != null ? monitor : valData != null ? "val_loss" : "loss";
        int firstEpoch = past != null ? past.epochsDone() : history.epochs(), totalEpochs = plannedEpochs;
        if (past != null) out.printf("Resuming %s at epoch %d of %d%n", resume, firstEpoch + 1, totalEpochs);
        List<Sample> trainSamples = train, valSamples = validation;
        LoteModel m = model;
        fingerprint = fingerprint(trainSamples, valSamples); // once, now: files may go while training runs
        if (past != null && past.dataFingerprint() != null && !past.dataFingerprint().equals(fingerprint)) System.err.println(
                "lote: warning: the run's images changed since it started (files added, removed, or rewritten); resuming on them as they are now.");
        ModelCheckpoint.Saver saver = (file, done) -> m.save(file, record(trainSamples, valSamples, totalEpochs, done, history, skipped));

        ProcessGroup group = null;
        long start = System.nanoTime();
        try (m) {
            if (world.distributed()) {
                out.printf("Joining %d processes at %s:%d (batch %d per process, %d per step)%n", world.size(), world.masterHost(),
                        world.masterPort(), batchSize, batchSize * world.size());
                group = ProcessGroup.join(world.masterHost(), world.masterPort(), world.rank(), world.size(), Duration.ofSeconds(distTimeout));
                Map<String, String> facts = new LinkedHashMap<>(); // what every rank must share, checked before any step
                facts.put("the seed", Long.toString(seed)); // first: a different seed also makes a different split
                facts.put("the data's fingerprint", fingerprint);
                facts.put("the batch size", Integer.toString(batchSize));
                facts.put("the steps per epoch", Integer.toString(trainData.size()));
                facts.put("the epochs", firstEpoch + " done of " + totalEpochs);
                facts.put("the model", String.valueOf(m.architecture().parameterCount()) + " parameters");
                String secret = System.getenv("LOTE_DIST_SECRET");
                facts.put("the join secret (LOTE_DIST_SECRET)", secret == null ? "none" : java.util.HexFormat.of().formatHex(
                        java.security.MessageDigest.getInstance("SHA-256").digest(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8))));
                group.agree(facts);
                m.network().join(group); // every rank starts from rank 0's weights
            }
            TerminateOnNaN nan = new TerminateOnNaN(out);
            Trainer trainer = new Trainer(m.network()).loader(workers > 0 ? workers : Runtime.getRuntime().availableProcessors(), prefetch)
                    .callback(nan);
            if (lead) trainer.callback(new ProgressBar(out, System.console() != null));
            if (checkpointDir != null && lead) trainer.callback(new ModelCheckpoint(checkpointDir, keepCheckpoints, watched, saver)
                    .resuming(past != null ? history.asMap().get(watched) : null));
            if (reduceLr != null) trainer.callback(new ReduceLROnPlateau(m.network(), watched, 0.5, reduceLr, 1e-6, out));
            if (lrSchedule.equals("cosine")) trainer.callback(new CosineDecay(m.network(), backbone != null ? learningRate / 10 : learningRate).from(phaseTwoStart));
            if (backbone != null && resumed != null) m.network().learningRateScale(m.architecture().layers().stream()
                    .filter(l -> l instanceof dev.lote.nn.Model).findFirst().orElseThrow().name() + "/", backboneLrScale);
            if (patience != null) {
                EarlyStopping stopping = new EarlyStopping(watched, patience, minDelta, m.network(), out)
                        .resuming(past != null ? history.asMap().get(watched) : null);
                List<Double> seen = history.asMap().get(watched);
                if (backbone != null && resumed == null && seen != null && !seen.isEmpty() && watched.endsWith("loss")) {
                    int best = 0; // phase 1's best epoch, whose weights the model holds now: phase 2 must beat it
                    for (int e = 1; e < seen.size(); e++) if (seen.get(e) < seen.get(best)) best = e;
                    stopping.baseline(seen.get(best), best, m.network().weightValues());
                }
                trainer.callback(stopping);
            }
            if (lead) trainer.callback(new OverfittingWarning(out, 0.2, notebook
                    ? "Try the default recipe (drop --model seed-cnn): a small CNN with augmentation and early stopping."
                    : "Try more images, --augment default, or fewer epochs."));
            if (csvLog != null && lead) trainer.callback(new CsvLogger(csvLog, past != null));
            if (firstEpoch < totalEpochs || past != null) trainer.fit(trainData, valData, firstEpoch, totalEpochs, history); // a head alone: --epochs 0
            if (nan.stopped()) throw new Main.Failure("Training diverged (the loss became " + history.last("loss") + "); "
                    + output + " was not written. Try a lower --learning-rate" + (checkpointDir != null ? ", or resume an earlier checkpoint in " + checkpointDir : "") + ".");
            if (lead) saver.save(output, history.epochs());
            if (group != null) group.barrier(); // the model is on disk before any rank reports success
            if (lead && report) Report.write(Report.besideModel(output), Report.build(m, null, batchSize));
        } catch (DataException e) {
            throw new Main.BadDataException(e.getMessage(), e);
        } finally {
            if (decodedCache != null) decodedCache.close();
            if (group != null) group.close();
        }
        out.printf(Locale.ROOT, "Trained %s for %d epochs in %.0f s: accuracy %.4f, loss %.4f%s%n", backbone != null ? backbone : this.model, history.epochs() - firstEpoch,
                (System.nanoTime() - start) / 1e9, history.last("accuracy"), history.last("loss"),
                valData == null ? "" : String.format(Locale.ROOT, ", val_accuracy %.4f, val_loss %.4f",
                        history.last("val_accuracy"), history.last("val_loss")));
        out.printf(Locale.ROOT, "Saved the model to %s (peak RSS %.2f GB)%n", output, dev.lote.bench.Rss.peakBytes() / 1e9);
        if (report) out.println("Wrote the report to " + Report.besideModel(output));
        if (group != null) {
            double seconds = (System.nanoTime() - start) / 1e9;
            out.printf(Locale.ROOT, "Data-parallel over %d processes: %d collectives took %.1f s of %.0f s (%.1f ms per training step on "
                    + "average)%n", world.size(), group.syncs(), group.syncSeconds(), seconds,
                    1000 * group.syncSeconds() / Math.max(1, (long) trainData.size() * (history.epochs() - firstEpoch)));
        }
        if (skipped.count() > 0) {
            out.println("Skipped " + skipped.count() + " bad file" + (skipped.count() == 1 ? "" : "s") + ":");
            skipped.lines().forEach(l -> out.println("  " + l));
        }
        return ExitCodes.OK;
    }

    private int phaseTwoStart; // fine-tuning: the epoch where the whole network starts to train
    private String fingerprint; // of the data as training began

    /** Fails now, not after hours of training, when the model could not be written where -o says. */
    private void checkWritable(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".lote-check-", ".tmp"));
        } catch (java.io.IOException | RuntimeException e) {
            throw new IllegalArgumentException("Cannot write the model to " + file + ": " + dir + " is not a writable folder ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ").");
        }
    }

    /**
     * Fine-tuning with a pretrained backbone. Phase 1 here: the frozen backbone's features are computed once per image
     * and a new head trains on them. Phase 2 is the ordinary training that follows: the whole network but its batch
     * normalization, the backbone at {@code --backbone-lr-scale} of the head's learning rate (a tenth of phase 1's).
     */
    private LoteModel fineTuned(List<String> classes, List<Sample> train, List<Sample> validation, Decoder decoder, Resize policy,
                                History history, PrintStream out) throws Exception {
        Backbone bb;
        if (Backbone.isTorchvision(backbone)) {
            bb = Backbone.torchvision(backbone, backboneWeights, new WeightCache(WeightCache.defaultDir(), System.err));
        } else {
            if (cut == null) throw new IllegalArgumentException("--backbone " + backbone + " needs --cut LAYER: the layer whose output "
                    + "is the features (see 'lote summary --model " + backbone + "').");
            bb = Backbone.file(Path.of(backbone), cut);
        }
        Shape input = bb.inputShape();
        out.printf(Locale.ROOT, "Fine-tuning %s (%,d parameters) at %s: phase 1 trains a new head on its features%n", backbone,
                bb.features().parameterCount(), input);
        BatchSequence.ImageSource source = BatchSequence.decoding(decoder, input, policy);
        SkippedFiles quiet = new SkippedFiles(null); // phase 2 names bad files once
        int cores = workers > 0 ? workers : Runtime.getRuntime().availableProcessors();
        long start = System.nanoTime();
        HeadTraining.Features trainFeatures, valFeatures;
        dev.lote.nn.Model pooled = Backbone.pooled(bb.classifier(classes.size(), 0, null, null));
        try (dev.lote.torch.Network net = dev.lote.torch.Network.build(pooled, seed).pixels(bb.pixelScale(), 0)) {
            Map<String, float[]> w = bb.weightsIn(pooled);
            w.keySet().retainAll(pooled.weightsByPath().keySet());
            net.setWeightValues(w);
            trainFeatures = HeadTraining.features(net, sequence(train, input, source, quiet).keepLast(true), cores);
            valFeatures = HeadTraining.features(net, sequence(validation, input, source, quiet).keepLast(true), cores);
        }
        out.printf(Locale.ROOT, "Features of %d images computed once in %.0f s%n", trainFeatures.labels().length + valFeatures.labels().length,
                (System.nanoTime() - start) / 1e9);
        HeadTraining.Head head = HeadTraining.train(trainFeatures, valFeatures, classes.size(), headEpochs, batchSize,
                new Adam(learningRate).withWeightDecay(weightDecay), seed, 5, history, out);
        dev.lote.nn.Model arch = bb.classifier(classes.size(), 0.2, head.mean(), head.variance());
        Backbone.unfreeze(arch);
        LoteModel m = LoteModel.create(arch, classes, policy, seed).pixels(bb.pixelScale() == 1 ? "raw" : "unit");
        Map<String, float[]> all = bb.weightsIn(arch);
        all.putAll(head.weights());
        m.network().setWeightValues(all);
        m.network().learningRateScale(bb.features().name() + "/", backboneLrScale);
        m.network().optimizer(new Adam(learningRate / 10).withWeightDecay(weightDecay));
        out.printf(Locale.ROOT, "Phase 2: the whole network (batch normalization frozen), learning rate %.0e for the head, %.0e for %s%n",
                learningRate / 10, learningRate / 10 * backboneLrScale, backbone);
        return m;
    }

    /** A model to start from (.lote, .keras, .h5, a tfjs folder or model.json), not a preset or a .json spec. */
    private static boolean startsFromFile(String model) {
        String m = model.toLowerCase(Locale.ROOT);
        return m.endsWith(".lote") || m.endsWith(".keras") || m.endsWith(".h5") || m.endsWith("model.json") || m.endsWith(".js")
                || (!m.endsWith(".json") && Files.isDirectory(Path.of(model)));
    }

    private static String fingerprint(List<Sample> train, List<Sample> validation) {
        List<Path> all = new ArrayList<>(Split.files(train));
        all.addAll(Split.files(validation));
        return Fingerprint.of(all, "");
    }

    /** The run's record in the model file: enough to resume it or to repeat it. */
    private ModelInfo.Training record(List<Sample> train, List<Sample> validation, int planned, int done, History history,
                                     SkippedFiles skipped) {
        Map<String, String> settings = new LinkedHashMap<>();
        for (String name : List.of("--model", "--augment", "--lr-schedule", "--learning-rate", "--weight-decay", "--resize",
                "--validation-split", "--early-stopping", "--cache", "--strict", "--keep-last-batch")) {
            var option = spec.findOption(name);
            if (option != null && option.getValue() != null) settings.put(name, String.valueOf((Object) option.getValue()));
        }
        settings.put("--world-size", Integer.toString(world.size()));
        if (backbone != null) {
            settings.put("--backbone", backbone);
            settings.put("--backbone-lr-scale", Double.toString(backboneLrScale));
            settings.put("phase_2_start", Integer.toString(phaseTwoStart));
        }
        return new ModelInfo.Training(dataDir.toAbsolutePath().toString(), fingerprint, seed, batchSize, planned,
                done, settings, history.asMap(), strings(train), strings(validation),
                skipped.asMap().entrySet().stream().collect(Collectors.toMap(e -> e.getKey().toString(), Map.Entry::getValue)));
    }

    private Integer parsePatience(String value) {
        try {
            int p = Integer.parseInt(value);
            if (p >= 0) return p;
        } catch (NumberFormatException ignored) { /* the message below */ }
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--early-stopping expects a patience (0 or more) or 'off', got '" + value + "'.");
    }

    private static List<String> strings(List<Sample> samples) {
        return samples.stream().map(s -> s.file().toAbsolutePath().toString()).toList();
    }

    /** Samples from a run's file list; the label is the class folder's position in {@code classes}. */
    private static List<Sample> samples(List<String> files, List<String> classes) {
        List<Sample> out = new ArrayList<>();
        for (String f : files) {
            Path p = Path.of(f);
            int label = classes.indexOf(p.getParent().getFileName().toString());
            if (label < 0) throw new DataException(p, "The run's file " + p + " is not in one of its class folders " + classes + ".");
            out.add(new Sample(p, label));
        }
        return out;
    }

    private BatchSequence sequence(List<Sample> samples, Shape input, BatchSequence.ImageSource source, SkippedFiles skipped) {
        BatchSequence s = new BatchSequence(Split.files(samples), Split.labels(samples), batchSize, input).source(source).seed(seed);
        return strict ? s : s.skipBadFiles(skipped);
    }

    /** The model's input is the first readable image's size, as in the notebook. */
    private Shape inputShape(Decoder decoder, ImageFolder folder) {
        BadImageException last = null;
        for (Sample s : folder.samples()) {
            try {
                Header h = decoder.header(s.file());
                return Shape.image(h.height(), h.width(), 3);
            } catch (BadImageException e) {
                if (strict) throw new Main.BadDataException("Bad image " + e.getMessage(), e);
                last = e;
            }
        }
        throw new Main.BadDataException("No readable image in " + folder.root() + (last == null ? "" : "; last error: " + last.getMessage()), last);
    }
}
