package dev.lote.io;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lote.nn.Adam;
import dev.lote.nn.Model;
import dev.lote.train.Recipe;
import java.util.List;
import java.util.Map;

/**
 * Everything about a trained model except its numbers: what it is, how to feed it, how it was made and how far
 * training got. Stored as {@code model.json} in the model file.
 */
public record ModelInfo(
        @JsonProperty("format") String format,
        @JsonProperty("format_version") int formatVersion,
        @JsonProperty("lote_version") String loteVersion,
        @JsonProperty("libtorch_version") String libtorchVersion,
        @JsonProperty("created") String created,
        @JsonProperty("classes") List<String> classes,
        @JsonProperty("preprocessing") Preprocessing preprocessing,
        @JsonProperty("architecture") Model architecture,
        @JsonProperty("optimizer") Adam optimizer,
        @JsonProperty("optimizer_steps") long optimizerSteps,
        @JsonProperty("training") Training training,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("calibration") Calibration calibration,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("thresholds") List<Double> thresholds) {

    /** The same model with {@code c} as its calibration (null: none). */
    public ModelInfo withCalibration(Calibration c) {
        return new ModelInfo(format, formatVersion, loteVersion, libtorchVersion, created, classes, preprocessing, architecture, optimizer,
                optimizerSteps, training, c, thresholds);
    }

    /**
     * The same model with {@code t} as its per-class thresholds (null: none): a multi-label model answers every class
     * whose probability reaches its threshold.
     */
    public ModelInfo withThresholds(List<Double> t) {
        if (t != null && t.size() != classes.size()) throw new IllegalArgumentException(t.size() + " thresholds for " + classes.size() + " classes.");
        return new ModelInfo(format, formatVersion, loteVersion, libtorchVersion, created, classes, preprocessing, architecture, optimizer,
                optimizerSteps, training, calibration, t == null ? null : List.copyOf(t));
    }

    /**
     * Temperature scaling fitted by {@code lote calibrate}: predictions are softmax(logits / temperature). Kept with
     * what it was fitted on and the expected calibration error (15 bins) and negative log-likelihood before and after.
     */
    public record Calibration(@JsonProperty("temperature") double temperature, @JsonProperty("images") int images,
                              @JsonProperty("data") String data,
                              @JsonProperty("ece_before") double eceBefore, @JsonProperty("ece_after") double eceAfter,
                              @JsonProperty("nll_before") double nllBefore, @JsonProperty("nll_after") double nllAfter) {
        public Calibration {
            if (!(temperature > 0) || Double.isInfinite(temperature)) throw new IllegalArgumentException("A temperature must be a positive number, got "
                    + temperature + ".");
        }
    }

    /**
     * How an image becomes the model's input: resized to height × width by {@code resize}, then pixels × scale +
     * offset ({@code "1/255"}, or {@code "1"} for a model that rescales its input itself).
     */
    public record Preprocessing(@JsonProperty("height") int height, @JsonProperty("width") int width,
                                @JsonProperty("resize") String resize, @JsonProperty("scale") String scale,
                                @JsonProperty("offset") Double offset) {
        public Preprocessing(int height, int width, String resize, String scale) { this(height, width, resize, scale, null); }

        /** The scale as a number: {@code "1/255"} → 1/255. */
        public double pixelScale() {
            String s = scale == null ? "1/255" : scale.trim();
            int slash = s.indexOf('/');
            return slash < 0 ? Double.parseDouble(s) : Double.parseDouble(s.substring(0, slash)) / Double.parseDouble(s.substring(slash + 1));
        }

        public double pixelOffset() { return offset == null ? 0 : offset; }
    }

    /**
     * Where the model came from and how far its training got: the recipe, the data's fingerprint, the split's file
     * lists, epochs completed (phase 1's head epochs first when fine-tuning) and the history, the machine it ran on,
     * so a run can be resumed or repeated. Records written before recipes existed kept the command's flags in
     * {@code settings}; they are read into a recipe here.
     */
    public record Training(@JsonProperty("data") String data, @JsonProperty("data_fingerprint") String dataFingerprint,
                           @JsonProperty("seed") long seed, @JsonProperty("batch_size") int batchSize,
                           @JsonProperty("epochs_planned") int epochsPlanned, @JsonProperty("epochs_done") int epochsDone,
                           @JsonProperty("recipe") Recipe recipe,
                           @JsonProperty("world_size") int worldSize,
                           @JsonProperty("phase_2_start") int phaseTwoStart,
                           @JsonProperty("environment") Map<String, String> environment,
                           @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("settings") Map<String, String> settings,
                           @JsonProperty("history") Map<String, List<Double>> history,
                           @JsonProperty("train_files") List<String> trainFiles,
                           @JsonProperty("validation_files") List<String> validationFiles,
                           @JsonProperty("skipped_files") Map<String, String> skippedFiles,
                           @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("labels") String labels) {
        public Training {
            if (worldSize < 1) worldSize = settings == null ? 1 : Integer.parseInt(settings.getOrDefault("--world-size", "1"));
            if (recipe == null && settings != null) {
                if (phaseTwoStart == 0) phaseTwoStart = Integer.parseInt(settings.getOrDefault("phase_2_start", "0"));
                recipe = Recipe.fromSettings(settings, seed, batchSize, epochsPlanned - phaseTwoStart);
            }
        }
    }
}
