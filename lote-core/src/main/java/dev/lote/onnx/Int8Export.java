package dev.lote.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.lote.data.Batch;
import dev.lote.data.BatchSequence;
import dev.lote.data.Loader;
import dev.lote.nn.Model;
import dev.lote.nn.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Static int8 quantization of an ONNX export, done in ONNX Runtime itself: the float graph runs on calibration images
 * with every layer's output exposed, which gives each activation's range; the QDQ graphs made from those ranges (min/max
 * and a few percentiles) run on the same images, and the one whose probabilities stay closest to float's is kept (no
 * labels are used to choose, so the held-out accuracy reported afterwards is not flattered by the choice). What is
 * measured is the file that is written, in the runtime that will run it.
 */
public final class Int8Export {
    /** The model as the exporter reads it. */
    public record Source(Model model, Map<String, float[]> weights, double pixelScale, double pixelOffset, double temperature,
                         Map<String, String> metadata) {}

    /**
     * One way of choosing activation ranges, measured on the calibration images against float: the share of same
     * answers and the mean total-variation distance between the two probability vectors (0 = identical, 1 = disjoint).
     */
    public record Tried(String method, double agreement, double distance) {}

    /**
     * What quantizing gave: {@code bytes} is the chosen int8 file (with the input asked for), {@code floatBytes} the size
     * of the float file it replaces; accuracies and {@code testAgreement} (same answer as float) are on
     * {@code testImages} held-out images, and so is {@code speedup}: float's time in ONNX Runtime over int8's, on this
     * machine with the threads given; {@code ranges}: the chosen activation ranges by tap.
     */
    public record Result(byte[] bytes, long floatBytes, int calibrationImages, int testImages, double floatAccuracy, double int8Accuracy,
                         double testAgreement, double speedup, Tried chosen, List<Tried> tried, Map<String, float[]> ranges) {
        /** Accuracy lost, in points (percent). */
        public double dropPoints() { return 100 * (floatAccuracy - int8Accuracy); }

        /** The same measurements for another format's file made with the same ranges (TFLite's). */
        public Result withFile(byte[] file, long floatFile) {
            return new Result(file, floatFile, calibrationImages, testImages, floatAccuracy, int8Accuracy, testAgreement, speedup, chosen, tried, ranges);
        }

        /** How the ranges were chosen, for the file's metadata. */
        public String method() { return describe("int8", chosen.method(), calibrationImages); }
    }

    /** Percentiles tried besides min/max: clipping rare outliers buys resolution for the common values. */
    static final double[] PERCENTILES = {99.999, 99.99, 99.9};
    private static final int SAMPLE_PER_BATCH = 1 << 16, SAMPLE_CAP = 1 << 18; // enough values beyond the 99.99th percentile to place it

    private Int8Export() {}

    /**
     * Calibrates on {@code calibration} (labels unused) and measures on {@code test}; both yield the model's input size.
     * {@code threads}: ONNX Runtime's intra-op threads.
     */
    public static Result quantize(Source s, BatchSequence calibration, BatchSequence test, OnnxExport.Input output, int threads) throws IOException {
        try {
            return run(s, calibration, test, output, threads);
        } catch (OrtException e) {
            throw new IOException("ONNX Runtime could not run the model: " + e.getMessage(), e);
        }
    }

    private static Result run(Source s, BatchSequence calibration, BatchSequence test, OnnxExport.Input output, int threads) throws OrtException {
        if (calibration.files().isEmpty()) throw new IllegalArgumentException("No calibration images.");
        if (test.files().isEmpty()) throw new IllegalArgumentException("No held-out images to measure the int8 model on.");
        OnnxExport.Input measured = new OnnxExport.Input(false, true); // the loader's uint8 NHWC, as it is
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(threads);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            OnnxExport.Probe probe = OnnxExport.probe(s.model(), s.weights(), s.pixelScale(), s.pixelOffset(), measured);
            Map<String, Stats> stats = new LinkedHashMap<>();
            int calibrated;
            try (OrtSession session = env.createSession(probe.bytes(), o)) {
                calibrated = observe(env, session, probe.taps(), calibration, stats);
            }
            byte[] floatFile = OnnxExport.build(s.model(), s.weights(), s.pixelScale(), s.pixelOffset(), s.temperature(), measured, s.metadata());
            Scored floatOnCalibration, floatOnTest;
            try (OrtSession session = env.createSession(floatFile, o)) {
                floatOnCalibration = score(env, session, calibration);
                floatOnTest = score(env, session, test);
            }
            List<Tried> tried = new ArrayList<>();
            Map<String, Map<String, float[]>> rangesOf = new LinkedHashMap<>();
            rangesOf.put("min/max", ranges(stats, 100));
            for (double p : PERCENTILES) rangesOf.put("percentile " + p, ranges(stats, p));
            Tried best = null;
            for (var e : rangesOf.entrySet()) {
                byte[] q = OnnxExport.buildInt8(s.model(), s.weights(), s.pixelScale(), s.pixelOffset(), s.temperature(), measured, s.metadata(), e.getValue());
                try (OrtSession session = env.createSession(q, o)) {
                    Scored r = score(env, session, calibration);
                    Tried t = new Tried(e.getKey(), r.agreement(floatOnCalibration), r.distance(floatOnCalibration));
                    tried.add(t);
                    if (best == null || t.distance() < best.distance()) best = t;
                }
            }
            Scored int8OnTest;
            try (OrtSession session = env.createSession(OnnxExport.buildInt8(s.model(), s.weights(), s.pixelScale(), s.pixelOffset(), s.temperature(),
                    measured, s.metadata(), rangesOf.get(best.method())), o)) {
                int8OnTest = score(env, session, test);
            }
            Map<String, String> meta = new LinkedHashMap<>(s.metadata());
            meta.put("quantization", describe("int8 QDQ", best.method(), calibrated));
            Map<String, float[]> chosenRanges = Map.copyOf(rangesOf.get(best.method()));
            byte[] chosen = OnnxExport.buildInt8(s.model(), s.weights(), s.pixelScale(), s.pixelOffset(), s.temperature(), output, meta, rangesOf.get(best.method()));
            long floatSize = OnnxExport.build(s.model(), s.weights(), s.pixelScale(), s.pixelOffset(), s.temperature(), output, s.metadata()).length;
            return new Result(chosen, floatSize, calibrated, floatOnTest.images(), floatOnTest.accuracy(), int8OnTest.accuracy(),
                    int8OnTest.agreement(floatOnTest), floatOnTest.seconds() / int8OnTest.seconds(), best, List.copyOf(tried), chosenRanges);
        }
    }

    /** What the file's metadata says of its quantization. */
    private static String describe(String form, String method, int images) {
        return form + " (" + method + " activation ranges on " + images + " images)";
    }

    /**
     * Each tap's range: min/max at 100, else the percentile of its values (and 100 − it below zero); then, for an
     * image, each channel's mean (what the int8 kernels' bias correction needs).
     */
    private static Map<String, float[]> ranges(Map<String, Stats> stats, double percentile) {
        Map<String, float[]> out = new HashMap<>();
        stats.forEach((tap, st) -> {
            float[] r = percentile >= 100 ? new float[] {st.min, st.max} : st.range(percentile);
            float[] means = st.channelMeans();
            if (means == null) out.put(tap, r);
            else {
                float[] both = Arrays.copyOf(r, 2 + means.length);
                System.arraycopy(means, 0, both, 2, means.length);
                out.put(tap, both);
            }
        });
        return out;
    }

    /** Runs the probe graph over the calibration images, keeping each tap's min, max and a sample of its values. */
    private static int observe(OrtEnvironment env, OrtSession session, Map<String, String> taps, BatchSequence images, Map<String, Stats> stats)
            throws OrtException {
        Map<String, List<String>> tapsOf = new LinkedHashMap<>(); // one output can be several taps (a dropout passes it on)
        taps.forEach((tap, out) -> tapsOf.computeIfAbsent(out, k -> new ArrayList<>()).add(tap));
        int n = 0;
        try (Loader loader = new Loader(images, 2, 2)) {
            while (loader.hasNext()) {
                Batch b = loader.next();
                if (b.size() == 0) continue;
                n += b.size();
                try (OnnxTensor x = pixels(env, b); OrtSession.Result r = session.run(Map.of("pixels", x), tapsOf.keySet())) {
                    for (Map.Entry<String, OnnxValue> e : r) {
                        OnnxTensor t = (OnnxTensor) e.getValue();
                        FloatBuffer v = t.getFloatBuffer();
                        long[] shape = t.getInfo().getShape();
                        for (String tap : tapsOf.get(e.getKey())) stats.computeIfAbsent(tap, Stats::new).add(v, shape);
                    }
                }
            }
        }
        if (n == 0) throw new IllegalArgumentException("None of the calibration images could be read.");
        return n;
    }

    /** A graph's probabilities on a sequence of images, with their labels, and the seconds ONNX Runtime took (see score). */
    private record Scored(float[][] probabilities, int[] labels, double seconds) {
        int images() { return labels.length; }

        int answer(int i) {
            int best = 0;
            for (int c = 1; c < probabilities[i].length; c++) if (probabilities[i][c] > probabilities[i][best]) best = c;
            return best;
        }

        double accuracy() {
            int right = 0;
            for (int i = 0; i < images(); i++) if (answer(i) == labels[i]) right++;
            return right / (double) images();
        }

        double agreement(Scored reference) {
            int same = 0;
            for (int i = 0; i < images(); i++) if (answer(i) == reference.answer(i)) same++;
            return same / (double) images();
        }

        double distance(Scored reference) {
            double sum = 0;
            for (int i = 0; i < images(); i++)
                for (int c = 0; c < probabilities[i].length; c++) sum += Math.abs(probabilities[i][c] - reference.probabilities[i][c]) / 2;
            return sum / images();
        }
    }

    private static Scored score(OrtEnvironment env, OrtSession session, BatchSequence images) throws OrtException {
        List<float[]> probabilities = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        long first = 0, all = 0; // a new session's first batch also sets it up: timed apart, and left out when others follow
        try (Loader loader = new Loader(images, 2, 2)) {
            while (loader.hasNext()) {
                Batch b = loader.next();
                if (b.size() == 0) continue;
                long start = System.nanoTime();
                try (OnnxTensor x = pixels(env, b); OrtSession.Result r = session.run(Map.of("pixels", x))) {
                    all += System.nanoTime() - start;
                    if (first == 0) first = all;
                    float[][] p = (float[][]) r.get("probabilities").orElseThrow().getValue();
                    for (int i = 0; i < b.size(); i++) {
                        probabilities.add(p[i]);
                        labels.add(b.labels()[i]);
                    }
                }
            }
        }
        if (labels.isEmpty()) throw new IllegalArgumentException("None of the images could be read.");
        return new Scored(probabilities.toArray(float[][]::new), labels.stream().mapToInt(Integer::intValue).toArray(),
                (all > first ? all - first : all) / 1e9);
    }

    private static OnnxTensor pixels(OrtEnvironment env, Batch b) throws OrtException {
        Shape s = b.sampleShape();
        int bytes = Math.toIntExact(b.size() * s.size());
        return OnnxTensor.createTensor(env, ByteBuffer.wrap(b.pixels(), 0, bytes).slice(), new long[] {b.size(), s.height(), s.width(), s.channels()},
                OnnxJavaType.UINT8);
    }

    /** One activation's range and a uniform sample of its values, thinned as it grows. */
    static final class Stats {
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        private float[] sample = new float[1024];
        private int size, stride = 1;
        private final SplittableRandom random;
        private double[] channelSums; // an image's (NCHW) sum per channel
        private long perChannel;

        /** Each channel's mean over every image and position; null for a tensor that is not an image. */
        float[] channelMeans() {
            if (channelSums == null) return null;
            float[] m = new float[channelSums.length];
            for (int c = 0; c < m.length; c++) m[c] = (float) (channelSums[c] / perChannel);
            return m;
        }

        /** Each tap samples with its own generator, so the ranges do not depend on the order ONNX Runtime returns the taps in. */
        Stats(String tap) { random = new SplittableRandom(tap.hashCode()); }

        void add(FloatBuffer v, long[] shape) {
            int n = v.remaining();
            if (shape.length == 4) {
                int channels = (int) shape[1], area = (int) (shape[2] * shape[3]);
                if (channelSums == null) channelSums = new double[channels];
                for (int b = 0; b < shape[0]; b++)
                    for (int c = 0; c < channels; c++) {
                        double sum = 0;
                        for (int i = (b * channels + c) * area, end = i + area; i < end; i++) sum += v.get(i);
                        channelSums[c] += sum;
                    }
                perChannel += shape[0] * area;
            }
            for (int i = 0; i < n; i++) {
                float x = v.get(i);
                if (x < min) min = x;
                if (x > max) max = x;
            }
            int step = Math.max(1, n / SAMPLE_PER_BATCH) * stride;
            for (int i = random.nextInt(step); i < n; i += step) {
                if (size == sample.length) {
                    if (size >= SAMPLE_CAP) { // keep every other value, and take half as many from now on
                        for (int k = 0; k < size / 2; k++) sample[k] = sample[2 * k];
                        size /= 2;
                        stride *= 2;
                        step *= 2;
                    } else {
                        sample = Arrays.copyOf(sample, sample.length * 2);
                    }
                }
                sample[size++] = v.get(i);
            }
        }

        /** (the (100 − p)th percentile, the pth) of the sample: inside the observed min and max. */
        float[] range(double p) {
            float[] sorted = Arrays.copyOf(sample, size);
            Arrays.sort(sorted);
            if (size == 0) return new float[] {min, max};
            float hi = sorted[(int) Math.min(size - 1, Math.floor(p / 100 * size))];
            float lo = sorted[(int) Math.max(0, Math.ceil((100 - p) / 100 * size) - 1)];
            return new float[] {lo, hi};
        }
    }
}
