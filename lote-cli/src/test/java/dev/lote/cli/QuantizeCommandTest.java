package dev.lote.cli;

import static dev.lote.cli.CliTest.lote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.lote.image.Decoder;
import dev.lote.image.Limits;
import dev.lote.testing.Images;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lote export --quantize int8: calibrated in ONNX Runtime, measured against float, refused when it costs too much. */
class QuantizeCommandTest {
    @TempDir static Path dir;
    static Path data, model, floatFile;

    @BeforeAll
    static void trained() {
        data = Images.sampleFolder(dir.resolve("data"), 3, 10, 48, 64);
        model = dir.resolve("m.lote");
        CliTest.Run r = lote("train", data.toString(), "--epochs", "12", "--batch-size", "6", "--early-stopping", "off", "--no-summary",
                "--validation-split", "0.4", "-o", model.toString());
        assertEquals(0, r.code(), r.err());
        floatFile = dir.resolve("m.onnx");
        r = lote("export", model.toString(), "--format", "onnx", "-o", floatFile.toString());
        assertEquals(0, r.code(), r.err());
    }

    @Test
    void anInt8FileIsAQuarterOfTheSizeAndGivesFloatsAnswers() throws Exception {
        Path int8 = dir.resolve("m8.onnx");
        // one image of the 30 may change its answer (3.3 points), as below; the default --max-drop 2 allows none of them
        CliTest.Run r = lote("export", model.toString(), "--format", "onnx", "--quantize", "int8", "--calibrate", data.toString(),
                "--test", data.toString(), "--max-drop", "4", "-o", int8.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("(chosen)") && r.out().contains("ranges") && r.out().contains("percentile 99.99"), r.out());
        Matcher m = Pattern.compile("On 30 held-out images: accuracy (\\S+) in float, (\\S+) in int8 \\(([-+]\\d+\\.\\d) points\\)").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertFalse(m.group(3).equals("-0.0"), "no negative zero: " + r.out());
        assertTrue(Double.parseDouble(m.group(1)) - Double.parseDouble(m.group(2)) <= 0.034, r.out());
        long size = Files.size(int8), floatSize = Files.size(floatFile);
        assertTrue(size < 0.3 * floatSize, size + " bytes against float's " + floatSize);

        // what the user runs: the written file, in ONNX Runtime, on the same images: the same classes as the float file
        List<Path> images;
        try (Stream<Path> s = Files.walk(data)) { images = s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList(); }
        int[] f = answers(floatFile, images), q = answers(int8, images);
        int same = 0;
        for (int i = 0; i < f.length; i++) if (f[i] == q[i]) same++;
        assertTrue(same >= f.length - 1, same + " of " + f.length + " answers agree");

        // ONNX Runtime runs it as int8 kernels (QDQ folded into QLinearConv), not as float with conversions around it
        String optimized = optimizedOps(int8);
        assertTrue(optimized.contains("QLinearConv"), optimized);
        assertFalse(optimized.contains("\"Conv\""), optimized);
    }

    @Test
    void calibratingOnImagesUnlikeTheRealOnesIsRefusedAndWritesNothing() throws Exception {
        Path black = dir.resolve("black");
        for (int i = 0; i < 4; i++) Images.write(black.resolve("b" + i + ".png"), 48, 64, 0, "png");
        Path out = dir.resolve("refused.onnx");
        CliTest.Run r = lote("export", model.toString(), "--format", "onnx", "--quantize", "int8", "--calibrate", black.toString(),
                "--test", data.toString(), "--max-drop", "1", "-o", out.toString());
        assertEquals(3, r.code(), r.out() + r.err());
        assertTrue(r.err().contains("Not writing " + out) && r.err().contains("over --max-drop 1.0"), r.err());
        assertEquals(1, r.err().lines().count(), r.err());
        assertFalse(Files.exists(out));
    }

    @Test
    void flagsThatCannotWorkAreOneLineAndExitCode2() throws Exception {
        Path out = dir.resolve("x.onnx"), empty = Files.createDirectories(dir.resolve("empty"));
        String m = model.toString();
        for (String[] args : List.of(
                new String[] {"--quantize", "int4"},
                new String[] {"--quantize", "int8", "--format", "keras"},
                new String[] {"--calibrate", data.toString()},
                new String[] {"--quantize", "int8", "--max-drop", "-1"},
                new String[] {"--quantize", "int8", "--calibrate", empty.toString()},
                new String[] {"--quantize", "int8", "--calibrate", dir.resolve("nowhere").toString()},
                new String[] {"--quantize", "int8", "--calibrate", data.toString(), "--calibrate-from-validation", "4"},
                new String[] {"--quantize", "int8", "--calibrate-from-validation", "999"})) {
            List<String> line = new ArrayList<>(List.of("export", m, "-o", out.toString()));
            if (!List.of(args).contains("--format")) line.addAll(List.of("--format", "onnx"));
            line.addAll(List.of(args));
            CliTest.Run r = lote(line.toArray(String[]::new));
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            assertEquals(1, r.err().lines().count(), r.err());
            assertFalse(Files.exists(out));
        }
    }

    @Test
    void anInt8TfliteFileRunsAsInt8KernelsInTensorFlowLiteAndGivesFloatsAnswers() throws Exception {
        Path python = dev.lote.testing.Python.with("tensorflow");
        Path floatTflite = dir.resolve("m.tflite"), int8 = dir.resolve("m8.tflite");
        CliTest.Run r = lote("export", model.toString(), "--format", "tflite", "-o", floatTflite.toString());
        assertEquals(0, r.code(), r.err());
        r = lote("export", model.toString(), "--format", "tflite", "--quantize", "int8", "--calibrate", data.toString(), "--test", data.toString(),
                "--max-drop", "4", "-o", int8.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("On 30 held-out images: accuracy") && r.out().contains("(TensorFlow Lite, int8)"), r.out());
        long size = Files.size(int8), floatSize = Files.size(floatTflite);
        assertTrue(size < 0.3 * floatSize, size + " bytes against float's " + floatSize);

        // both files in TensorFlow's own interpreter, on the 30 images: the same classes
        List<Path> images;
        try (Stream<Path> s = Files.walk(data)) { images = s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList(); }
        Path in = dir.resolve("images.f32");
        ByteBuffer px = ByteBuffer.allocate(4 * 48 * 64 * 3 * images.size()).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (byte b : pixels(images)) px.putFloat(b & 0xff);
        Files.write(in, px.array());
        String ops = "";
        int[][] answers = new int[2][];
        for (int k = 0; k < 2; k++) {
            Path file = k == 0 ? floatTflite : int8, out = dir.resolve("out" + k + ".f32");
            dev.lote.testing.Python.Result res = dev.lote.testing.Python.script(python, "run_tflite.py", file.toString(), in.toString(),
                    Integer.toString(images.size()), out.toString());
            assertEquals(0, res.exit(), res.output());
            ops = res.output().lines().filter(l -> l.startsWith("ops: ")).findFirst().orElseThrow();
            ByteBuffer p = ByteBuffer.wrap(Files.readAllBytes(out)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            answers[k] = new int[images.size()];
            for (int i = 0; i < images.size(); i++) {
                float best = -1;
                for (int c = 0; c < 3; c++) {
                    float v = p.getFloat();
                    if (v > best) { best = v; answers[k][i] = c; }
                }
            }
        }
        int same = 0;
        for (int i = 0; i < images.size(); i++) if (answers[0][i] == answers[1][i]) same++;
        assertTrue(same >= images.size() - 1, same + " of " + images.size() + " answers agree");
        // every convolution, pooling and the global average run as int8 kernels; only the scaling in and the softmax out are float
        assertTrue(ops.contains("CONV_2D:INT8") && ops.contains("MAX_POOL_2D:INT8") && ops.contains("MEAN:INT8"), ops);
        assertFalse(ops.contains("CONV_2D:FLOAT32") || ops.contains("POOL_2D:FLOAT32"), ops);
    }

    /** The images at the model's input size, NHWC bytes one after another. */
    private static byte[] pixels(List<Path> images) throws Exception {
        Decoder decoder = new Decoder(Limits.DEFAULT);
        byte[] px = new byte[48 * 64 * 3 * images.size()];
        for (int i = 0; i < images.size(); i++) decoder.readInto(images.get(i), 48, 64, dev.lote.image.Resize.STRETCH, px, i * 48 * 64 * 3);
        return px;
    }

    /** The top class of each image, by the exported file in ONNX Runtime (the images are the model's input size). */
    private static int[] answers(Path onnx, List<Path> images) throws Exception {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        int[] out = new int[images.size()];
        try (OrtSession s = env.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
            for (int i = 0; i < out.length; i++) {
                byte[] px = pixels(List.of(images.get(i)));
                try (OnnxTensor t = OnnxTensor.createTensor(env, ByteBuffer.wrap(px), new long[] {1, 48, 64, 3}, OnnxJavaType.UINT8);
                     OrtSession.Result r = s.run(Map.of("pixels", t))) {
                    float[] p = ((float[][]) r.get(0).getValue())[0];
                    for (int c = 1; c < p.length; c++) if (p[c] > p[out[i]]) out[i] = c;
                }
            }
        }
        return out;
    }

    /** The node types of the graph ONNX Runtime runs after its own optimisations, as the text of its saved file. */
    private static String optimizedOps(Path onnx) throws Exception {
        Path saved = dir.resolve("optimized-" + onnx.getFileName());
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.EXTENDED_OPT);
            o.setOptimizedModelFilePath(saved.toString());
            try (OrtSession s = OrtEnvironment.getEnvironment().createSession(onnx.toString(), o)) { /* writes it */ }
        }
        String text = new String(Files.readAllBytes(saved), StandardCharsets.ISO_8859_1);
        List<String> ops = new ArrayList<>();
        for (String op : List.of("QLinearConv", "Conv", "QLinearAdd", "DequantizeLinear", "QuantizeLinear")) // NodeProto.op_type: field 4, length, name
            if (text.contains("" + (char) 0x22 + (char) op.length() + op)) ops.add("\"" + op + "\"");
        return String.join(" ", ops);
    }
}
