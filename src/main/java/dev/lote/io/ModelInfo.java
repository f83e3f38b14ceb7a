package dev.lote.io;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.lote.nn.Adam;
import dev.lote.nn.Sequential;
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
        @JsonProperty("architecture") Sequential architecture,
        @JsonProperty("optimizer") Adam optimizer,
        @JsonProperty("optimizer_steps") long optimizerSteps,
        @JsonProperty("training") Training training) {

    /** How an image becomes the model's input: resized to height × width by {@code resize}, then pixels / 255. */
    public record Preprocessing(@JsonProperty("height") int height, @JsonProperty("width") int width,
                                @JsonProperty("resize") String resize, @JsonProperty("scale") String scale) {}

    /**
     * Where the model came from and how far its training got: the command's settings, the data's fingerprint, the
     * split's file lists, epochs completed and the history, so a run can be resumed or repeated.
     */
    public record Training(@JsonProperty("data") String data, @JsonProperty("data_fingerprint") String dataFingerprint,
                           @JsonProperty("seed") long seed, @JsonProperty("batch_size") int batchSize,
                           @JsonProperty("epochs_planned") int epochsPlanned, @JsonProperty("epochs_done") int epochsDone,
                           @JsonProperty("settings") Map<String, String> settings,
                           @JsonProperty("history") Map<String, List<Double>> history,
                           @JsonProperty("train_files") List<String> trainFiles,
                           @JsonProperty("validation_files") List<String> validationFiles,
                           @JsonProperty("skipped_files") Map<String, String> skippedFiles) {}

    /** Arrays under {@code weights/}: every layer's weights and state, in layer order. */
    @JsonIgnore public int weightCount() { return architecture.layers().stream().mapToInt(l -> l.weightTensors() + l.stateTensors()).sum(); }

    /** Arrays under {@code optimizer/m/} and {@code optimizer/v/}: one per trained weight. */
    @JsonIgnore public int trainedCount() { return architecture.layers().stream().mapToInt(dev.lote.nn.Layer::weightTensors).sum(); }
}
