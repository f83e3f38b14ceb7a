package dev.lote.cli;

import dev.lote.LoteModel;
import dev.lote.io.ModelFileException;
import dev.lote.onnx.OnnxExport;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "export", mixinStandardHelpOptions = true,
        description = "Write a Lote model in another format: ONNX (for ONNX Runtime, on phones, in browsers, in C#, Go or "
                + "Triton; preprocessing inside, probabilities out) or a Keras 3 .keras file.")
final class ExportCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A .lote model file.")
    Path modelFile;

    @Option(names = "--format", required = true, paramLabel = "onnx|keras", description = "The format.")
    String format;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE", description = "The file to write: model.onnx, model.keras.")
    Path output;

    @Option(names = "--input-layout", defaultValue = "nhwc", paramLabel = "nhwc|nchw",
            description = "ONNX: the input's axis order (default: ${DEFAULT-VALUE}, as images are stored).")
    String layout;

    @Option(names = "--input-type", defaultValue = "uint8", paramLabel = "uint8|float",
            description = "ONNX: pixels as bytes, or as floats 0–255 (default: ${DEFAULT-VALUE}).")
    String type;

    @Override public Integer call() throws Exception {
        if (!format.equals("onnx") && !format.equals("keras")) throw new IllegalArgumentException("Unknown format '" + format + "'. Expected onnx or keras.");
        if (!layout.equals("nhwc") && !layout.equals("nchw")) throw new IllegalArgumentException("Unknown --input-layout '" + layout + "'. Expected nhwc or nchw.");
        if (!type.equals("uint8") && !type.equals("float")) throw new IllegalArgumentException("Unknown --input-type '" + type + "'. Expected uint8 or float.");
        try (LoteModel model = LoteModel.load(modelFile)) {
            if (format.equals("keras")) {
                model.exportKeras(output);
                System.out.println("Wrote " + output + " (Keras 3; load it with keras.saving.load_model)");
            } else {
                try {
                    model.exportOnnx(output, layout.equals("nchw"), type.equals("uint8"));
                } catch (OnnxExport.UnsupportedLayerException e) {
                    throw new ModelFileException(modelFile, e.getMessage());
                }
                var p = model.info().preprocessing();
                System.out.println("Wrote " + output + " (ONNX opset 17): input 'pixels' " + type + " " + layout + " [batch, "
                        + (layout.equals("nhwc") ? p.height() + ", " + p.width() + ", 3" : "3, " + p.height() + ", " + p.width())
                        + "], output 'probabilities' [batch, " + model.classes().size() + "]; class names in its metadata");
            }
        }
        return ExitCodes.OK;
    }
}
