package dev.lote;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.lote.data.Batch;
import dev.lote.keras.KerasExport;
import dev.lote.nn.Activation;
import dev.lote.nn.ActivationLayer;
import dev.lote.nn.AveragePooling2D;
import dev.lote.nn.BatchNormalization;
import dev.lote.nn.Config;
import dev.lote.nn.Conv2D;
import dev.lote.nn.Conv2DTranspose;
import dev.lote.nn.GroupNormalization;
import dev.lote.nn.LayerScale;
import dev.lote.nn.SpatialDropout2D;
import dev.lote.nn.UpSampling2D;
import dev.lote.nn.Cropping2D;
import dev.lote.nn.CustomScaleLayer;
import dev.lote.nn.Dense;
import dev.lote.nn.DepthwiseConv2D;
import dev.lote.nn.Dropout;
import dev.lote.nn.Flatten;
import dev.lote.nn.GlobalAveragePooling2D;
import dev.lote.nn.GlobalMaxPooling2D;
import dev.lote.nn.Input;
import dev.lote.nn.Layer;
import dev.lote.nn.LayerNormalization;
import dev.lote.nn.Layers;
import dev.lote.nn.MaxPooling2D;
import dev.lote.nn.Merge;
import dev.lote.nn.Model;
import dev.lote.nn.Node;
import dev.lote.nn.Normalization;
import dev.lote.nn.Padding;
import dev.lote.nn.Permute;
import dev.lote.nn.ReLU;
import dev.lote.nn.Rescaling;
import dev.lote.nn.Reshape;
import dev.lote.nn.SeparableConv2D;
import dev.lote.nn.Shape;
import dev.lote.nn.Weight;
import dev.lote.nn.ZeroPadding2D;
import dev.lote.onnx.OnnxExport;
import dev.lote.testing.Project;
import dev.lote.tflite.TfliteExport;
import dev.lote.testing.Python;
import dev.lote.torch.Network;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every registered layer kind has all its parts: its Keras config reads back as the same layer, and its one
 * computation gives real Keras' numbers on libtorch, in ONNX Runtime and in TensorFlow Lite's interpreter (random
 * weights, random statistics). A kind
 * missing a part, or a layer class missing from {@link Layers}, fails here.
 */
class LayerKindsTest {
    @TempDir Path dir;

    static final Shape IMAGE = Shape.image(9, 11, 4);

    /** A use of a kind (by Keras class name) on a 9×11×4 image: the layer named "kind" is the one checked. */
    record Example(String kind, String label, Function<Node, Node> build) {}

    static final List<Example> EXAMPLES = new ArrayList<>();

    private static void example(String kind, Function<Node, Layer> layer) { example(kind, kind, layer); }

    private static void example(String kind, String label, Function<Node, Layer> layer) {
        EXAMPLES.add(new Example(kind, label, x -> layer.apply(x).<Layer>name("kind").call(x)));
    }

    static {
        example("Conv2D", x -> new Conv2D(5, 3).padding(Padding.SAME).strides(2).activation(Activation.RELU));
        example("DepthwiseConv2D", x -> new DepthwiseConv2D(3).depthMultiplier(2).padding(Padding.SAME));
        example("DepthwiseConv2D", "DepthwiseConv2D 7x7 (ConvNeXt)", x -> new DepthwiseConv2D(7).padding(Padding.SAME));
        example("SeparableConv2D", x -> new SeparableConv2D(6, 3).activation(Activation.TANH));
        example("Dense", x -> new Dense(3).activation(Activation.SIGMOID));
        example("MaxPooling2D", x -> new MaxPooling2D(3).strides(2).padding(Padding.SAME));
        example("AveragePooling2D", x -> new AveragePooling2D(2).padding(Padding.SAME));
        example("GlobalAveragePooling2D", x -> new GlobalAveragePooling2D());
        example("GlobalMaxPooling2D", x -> new GlobalMaxPooling2D().keepdims(true));
        example("Flatten", x -> new Flatten());
        example("Dropout", x -> new Dropout(0.4));
        example("BatchNormalization", x -> new BatchNormalization(0.9, 1e-2));
        example("LayerNormalization", x -> new LayerNormalization());
        example("ZeroPadding2D", x -> new ZeroPadding2D(1, 2, 0, 1));
        example("Cropping2D", x -> new Cropping2D(1, 0, 2, 1));
        example("ReLU", x -> new ReLU().negativeSlope(0.1).maxValue(0.3));
        example("Rescaling", x -> new Rescaling(2, -0.5));
        example("Normalization", x -> new Normalization(new double[] {0.1, 0.2, -0.3, 0.4}, new double[] {0.5, 2, 1, 0.25}));
        example("Reshape", x -> new Reshape(9, 44));
        example("Permute", x -> new Permute(2, 1, 3));
        example("Activation", x -> new ActivationLayer(Activation.GELU));
        example("UpSampling2D", x -> new UpSampling2D(2));
        example("UpSampling2D", "UpSampling2D bilinear", x -> new UpSampling2D(3, true));
        example("Conv2DTranspose", x -> new Conv2DTranspose(3, 3).strides(2).padding(Padding.SAME));
        example("Conv2DTranspose", "Conv2DTranspose valid, kernel < stride", x -> new Conv2DTranspose(2, 2).strides(3).activation(Activation.RELU));
        example("Conv2DTranspose", "Conv2DTranspose output_padding", x -> new Conv2DTranspose(config("Conv2DTranspose",
                "{\"filters\": 3, \"kernel_size\": [3, 3], \"strides\": [2, 2], \"padding\": \"same\", \"output_padding\": [1, 0]}")));
        example("SpatialDropout2D", x -> new SpatialDropout2D(0.3));
        example("GroupNormalization", x -> new GroupNormalization(2));
        example("LayerScale", x -> new LayerScale(1e-6, 4));
        EXAMPLES.add(new Example("CustomScaleLayer", "CustomScaleLayer", x -> new CustomScaleLayer(0.17).<Layer>name("kind").call(x, new Conv2D(4, 1).call(x))));
        for (Merge.Op op : Merge.Op.values())
            EXAMPLES.add(new Example(op.keras(), op.keras(), x -> new Merge(op).<Layer>name("kind").call(x, new Conv2D(4, 1).call(x))));
    }

    private static Config config(String kind, String json) {
        try {
            return new Config(kind, new com.fasterxml.jackson.databind.ObjectMapper().readTree(json));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void everyLayerClassIsRegisteredAndHasAnExample() throws Exception {
        TreeSet<String> registered = new TreeSet<>();
        for (Layers.Kind k : Layers.all()) registered.add(k.type().getSimpleName());
        List<String> missing = new ArrayList<>();
        try (Stream<Path> files = Files.list(Project.root().resolve("lote-core/src/main/java/dev/lote/nn"))) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString().replace(".java", "");
                if (name.equals("package-info")) continue;
                Class<?> c = Class.forName("dev.lote.nn." + name);
                boolean concrete = Layer.class.isAssignableFrom(c) && !java.lang.reflect.Modifier.isAbstract(c.getModifiers());
                if (concrete && !Model.class.isAssignableFrom(c) && !name.equals("InputLayer") && !registered.contains(name)) missing.add(name);
            }
        }
        assertEquals(List.of(), missing, "layer classes not in nn.Layers");
        for (Layers.Kind k : Layers.all()) assertTrue(EXAMPLES.stream().anyMatch(e -> e.kind().equals(k.kerasName())), k.kerasName() + " has no example in this test");
    }

    @Test
    void everyKindReadsBackFromItsConfigAndComputesAsKerasOnLibtorchOnnxRuntimeAndTflite() throws Exception {
        Path python = Python.with("keras");
        int n = 2;
        byte[] pixels = new byte[Math.toIntExact(IMAGE.size() * n)];
        new SplittableRandom(3).nextBytes(pixels);
        Map<String, float[]> torch = new LinkedHashMap<>(), onnx = new LinkedHashMap<>();
        Map<String, String> tfliteRefused = new LinkedHashMap<>();
        List<Executable> checks = new ArrayList<>();
        for (Example e : EXAMPLES) {
            String name = e.label().replaceAll("\\W+", "_");
            Layers.Kind kind = Layers.all().stream().filter(k -> k.kerasName().equals(e.kind())).findFirst().orElseThrow();
            Node x = Input.of(IMAGE);
            Node start = new Conv2D(4, 1).<Layer>name("start").call(x); // the kind reads a tensor, not the pixels (which ONNX scales in the first layer)
            Node y = e.build().apply(start);
            Model model = new Model(name, List.of(x), new Flatten().<Layer>name("end").call(y));
            Layer layer = y.layer();
            checks.add(() -> assertEquals(layer, kind.reader().apply(new Config(kind.kerasName(), layer.config())), name + ": config round trip"));
            try (Network net = Network.build(model, 7)) {
                net.setWeightValues(randomWeights(net.weightSpecs()));
                Map<String, float[]> weights = net.weightValues();
                torch.put(name, flat(net.outputs(new Batch(pixels, new int[n], IMAGE, Collections.nCopies(n, null)))));
                onnx.put(name, onnx(model, weights, pixels, n, y.shape()));
                KerasExport.write(model, weights, dir.resolve(name + ".keras"));
                try {
                    Files.write(dir.resolve(name + ".tflite"), TfliteExport.build(model, weights, 1, 0, 1, Map.of()));
                } catch (TfliteExport.UnsupportedLayerException refused) { // every kind has a TFLite form today
                    tfliteRefused.put(name, refused.getMessage());
                }
            }
            float[] in = new float[pixels.length];
            for (int i = 0; i < in.length; i++) in[i] = (pixels[i] & 0xff) / 255f;
            ByteBuffer b = ByteBuffer.allocate(4 * in.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(in);
            Files.write(dir.resolve(name + ".in"), b.array());
            Files.writeString(dir.resolve(name + ".shape"), n + "," + IMAGE.height() + "," + IMAGE.width() + "," + IMAGE.channels());
        }
        Python.Result r = Python.script(python, "run_keras.py", dir.toString());
        assertEquals(0, r.exit(), r.output());
        for (Example e : EXAMPLES) {
            String name = e.label().replaceAll("\\W+", "_");
            float[] keras = floats(dir.resolve(name + ".out"));
            checks.add(() -> close(keras, torch.get(name), name + " on libtorch"));
            checks.add(() -> close(keras, onnx.get(name), name + " in ONNX Runtime"));
            if (!tfliteRefused.containsKey(name)) // the file ends in a softmax over the flattened values: compare log-probabilities
                checks.add(() -> close(logSoftmax(keras, n), log(floats(dir.resolve(name + ".tflite.out"))), name + " in TensorFlow Lite"));
        }
        checks.add(() -> assertEquals(Map.of(), tfliteRefused, "examples TFLite's writer refused"));
        assertAll(checks);
    }

    private static float[] logSoftmax(float[] v, int n) {
        int k = v.length / n;
        float[] r = new float[v.length];
        for (int i = 0; i < n; i++) {
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int j = 0; j < k; j++) max = Math.max(max, v[i * k + j]);
            for (int j = 0; j < k; j++) sum += Math.exp(v[i * k + j] - max);
            for (int j = 0; j < k; j++) r[i * k + j] = (float) (v[i * k + j] - max - Math.log(sum));
        }
        return r;
    }

    private static float[] log(float[] p) {
        float[] r = new float[p.length];
        for (int i = 0; i < p.length; i++) r[i] = (float) Math.log(p[i]);
        return r;
    }

    /** Every weight random: kernels and biases in ±0.5, variances in [0.5, 1.5] (so normalization does something). */
    static Map<String, float[]> randomWeights(Map<String, Weight> specs) {
        SplittableRandom r = new SplittableRandom(11);
        Map<String, float[]> w = new LinkedHashMap<>();
        specs.forEach((path, spec) -> {
            float[] v = new float[Math.toIntExact(spec.size())];
            boolean positive = spec.name().contains("variance") || spec.name().equals("count");
            for (int i = 0; i < v.length; i++) v[i] = (float) (positive ? 0.5 + r.nextDouble() : r.nextDouble() - 0.5);
            w.put(path, v);
        });
        return w;
    }

    /** The kind's output in ONNX Runtime: the float graph's tap of the layer named "kind", in Keras' order. */
    private static float[] onnx(Model model, Map<String, float[]> weights, byte[] pixels, int n, Shape out) throws Exception {
        OnnxExport.Probe probe = OnnxExport.probe(model, weights, 1 / 255.0, 0, new OnnxExport.Input(false, false));
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        float[] f = new float[pixels.length];
        for (int i = 0; i < f.length; i++) f[i] = pixels[i] & 0xff;
        try (OrtSession s = env.createSession(probe.bytes(), new OrtSession.SessionOptions());
             OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(f), new long[] {n, IMAGE.height(), IMAGE.width(), IMAGE.channels()});
             OrtSession.Result r = s.run(Map.of("pixels", t), java.util.Set.of(probe.taps().get("kind")))) {
            OnnxTensor y = (OnnxTensor) r.get(0);
            float[] v = new float[Math.toIntExact(y.getInfo().getNumElements())];
            y.getFloatBuffer().get(v);
            if (!out.isImage()) return v;
            float[] nhwc = new float[v.length]; // the graph's NCHW in Keras' NHWC
            int h = out.height(), w = out.width(), c = out.channels();
            for (int i = 0; i < n; i++) for (int ch = 0; ch < c; ch++) for (int yy = 0; yy < h; yy++) for (int xx = 0; xx < w; xx++)
                nhwc[((i * h + yy) * w + xx) * c + ch] = v[((i * c + ch) * h + yy) * w + xx];
            return nhwc;
        }
    }

    private static void close(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what + ": number of values");
        double worst = 0;
        for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - actual[i]) / Math.max(1, Math.abs(expected[i])));
        assertTrue(worst < 1e-4, what + ": largest difference from Keras " + worst);
    }

    private static float[] flat(float[][] rows) {
        int k = rows[0].length;
        float[] f = new float[rows.length * k];
        for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, f, i * k, k);
        return f;
    }

    private static float[] floats(Path p) throws Exception {
        FloatBuffer b = ByteBuffer.wrap(Files.readAllBytes(p)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        float[] f = new float[b.remaining()];
        b.get(f);
        return f;
    }
}
