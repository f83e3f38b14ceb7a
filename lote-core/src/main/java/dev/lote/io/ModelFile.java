package dev.lote.io;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lote.nn.Adam;
import dev.lote.nn.Model;
import dev.lote.nn.Weight;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The {@code .lote} model file: a zip with {@code model.json} (format version, architecture as Keras' config, classes,
 * preprocessing, history, the split's file lists, provenance) and raw little-endian float32 arrays in Keras' layout,
 * named by weight path: {@code weights/dense/kernel.f32}, {@code optimizer/m/dense/kernel.f32}, {@code optimizer/v/…}.
 * Version 1 files (arrays by position, libtorch's layout) are still read.
 * Written to a temporary file beside the target, flushed to disk, then renamed over it: a crash, a kill or a full
 * disk leaves the previous file as it was.
 */
public record ModelFile(ModelInfo info, Map<String, float[]> weights, Adam.State optimizer) {
    public static final String FORMAT = "lote-model";
    public static final int VERSION = 2;

    /** This Lote's version, as recorded in the files it writes (models, ONNX, TFLite). */
    public static String loteVersion() {
        String v = ModelFile.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }

    static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE) // as the spec's JSON
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    public Model architecture() { return info.architecture(); }

    public void save(Path target) throws IOException {
        AtomicFile.write(target, raw -> {
            ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(raw, 1 << 20));
            zip.setLevel(1); // float noise barely compresses; speed matters more
            zip.putNextEntry(new ZipEntry("model.json"));
            zip.write(JSON.writeValueAsBytes(info));
            zip.closeEntry();
            writeArrays(zip, "weights/", weights);
            if (optimizer != null) {
                writeArrays(zip, "optimizer/m/", optimizer.moments());
                writeArrays(zip, "optimizer/v/", optimizer.velocities());
            }
            zip.finish();
            zip.flush();
        });
    }

    /** model.json is small; a larger one is not a model file of ours (and must not fill the heap). */
    static final int MAX_JSON = 64 << 20;

    /**
     * Reads and checks a model file. model.json comes first and is checked against the architecture (classes against
     * outputs) before any array is read; each array's length is checked against the weight it must be, before it is
     * allocated, so a small damaged or hostile file cannot ask for gigabytes.
     */
    public static ModelFile load(Path file) throws ModelFileException {
        ModelInfo info = null;
        Map<String, Long> expected = null;
        Map<String, float[]> arrays = new HashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().equals("model.json")) {
                    byte[] json = zip.readNBytes(MAX_JSON + 1);
                    if (json.length > MAX_JSON) throw new ModelFileException(file, "damaged: model.json is over " + (MAX_JSON >> 20) + " MB");
                    info = readInfo(file, json);
                    expected = expectedArrays(file, info);
                } else if (e.getName().endsWith(".f32")) {
                    if (expected == null) throw new ModelFileException(file, "damaged: arrays before model.json");
                    Long n = expected.get(e.getName());
                    if (n == null) continue; // not part of this architecture: left unread
                    if (e.getSize() >= 0 && e.getSize() != 4 + 4 * n) throw new ModelFileException(file, "damaged: " + e.getName()
                            + " holds " + e.getSize() + " bytes; the architecture needs " + (4 + 4 * n));
                    arrays.put(e.getName(), readFloats(zip, n, e.getName()));
                }
            }
        } catch (NoSuchFileException e) {
            throw new ModelFileException(file, "no such file");
        } catch (ZipException | java.io.EOFException e) {
            throw new ModelFileException(file, "damaged or not a Lote model file (" + e.getMessage() + ")");
        } catch (ModelFileException e) {
            throw e;
        } catch (IOException e) {
            throw new ModelFileException(file, "cannot read (" + e.getMessage() + ")");
        }
        if (info == null) throw new ModelFileException(file, "not a Lote model file (no model.json inside)");
        Map<String, Weight> specs = info.architecture().weightsByPath(); // already checked by expectedArrays
        List<String> trained = info.architecture().trainedPaths();
        Map<String, float[]> weights, m, v;
        if (info.formatVersion() == 1) {
            weights = FormatOne.weights(file, arrays, specs);
            m = FormatOne.optimizer(file, arrays, "optimizer/m/", trained, specs);
            v = FormatOne.optimizer(file, arrays, "optimizer/v/", trained, specs);
        } else {
            weights = named(file, arrays, "weights/", specs.keySet(), true);
            m = named(file, arrays, "optimizer/m/", trained, false);
            v = named(file, arrays, "optimizer/v/", trained, false);
        }
        for (var e : weights.entrySet()) {
            long want = specs.get(e.getKey()).size();
            if (e.getValue().length != want) throw new ModelFileException(file, "damaged: weight " + e.getKey() + " has "
                    + e.getValue().length + " values; the architecture needs " + want);
        }
        Adam.State opt = m == null || v == null ? null : new Adam.State(info.optimizerSteps(), m, v);
        return new ModelFile(info, weights, opt);
    }

    private static Map<String, float[]> named(Path file, Map<String, float[]> all, String prefix, java.util.Collection<String> paths,
                                              boolean required) throws ModelFileException {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        for (String p : paths) {
            float[] a = all.get(prefix + p + ".f32");
            if (a == null) {
                if (!required && out.isEmpty()) return null;
                throw new ModelFileException(file, "damaged: " + prefix + p + ".f32 is missing");
            }
            out.put(p, a);
        }
        return out;
    }

    /** Every array entry the architecture has, with its number of values (format 1: by position, format 2: by path). */
    private static Map<String, Long> expectedArrays(Path file, ModelInfo info) throws ModelFileException {
        Map<String, Weight> specs;
        List<String> trained;
        try {
            specs = info.architecture().weightsByPath();
            trained = info.architecture().trainedPaths();
            int outputs = info.architecture().classes();
            if (info.classes() == null || info.classes().size() != outputs) throw new ModelFileException(file, "damaged: "
                    + (info.classes() == null ? 0 : info.classes().size()) + " class names for a model with " + outputs + " outputs");
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new ModelFileException(file, "damaged: " + e.getMessage());
        }
        Map<String, Long> out = new HashMap<>();
        int i = 0;
        for (var e : specs.entrySet()) out.put(info.formatVersion() == 1 ? "weights/" + i++ + ".f32" : "weights/" + e.getKey() + ".f32", e.getValue().size());
        for (int t = 0; t < trained.size(); t++) {
            long n = specs.get(trained.get(t)).size();
            for (String kind : List.of("optimizer/m/", "optimizer/v/")) out.put(kind + (info.formatVersion() == 1 ? t : trained.get(t)) + ".f32", n);
        }
        return out;
    }

    private static ModelInfo readInfo(Path file, byte[] json) throws ModelFileException {
        JsonNode tree;
        try {
            tree = JSON.readTree(json);
        } catch (IOException e) {
            throw new ModelFileException(file, "model.json is not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (!(tree instanceof ObjectNode) || !FORMAT.equals(tree.path("format").asText())) {
            throw new ModelFileException(file, "not a Lote model file (model.json has no \"format\": \"" + FORMAT + "\")");
        }
        int version = tree.path("format_version").asInt(-1);
        if (version != VERSION && version != 1) throw new ModelFileException(file, "format version " + version + " is not supported by this Lote, "
                + "which reads versions 1 to " + VERSION + (version > VERSION ? "; upgrade Lote" : ""));
        try {
            return JSON.treeToValue(tree, ModelInfo.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new ModelFileException(file, "model.json is damaged (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
    }

    /** Stored, not deflated: float noise barely compresses and deflating 74 MB took seconds. */
    private static void writeArrays(ZipOutputStream zip, String prefix, Map<String, float[]> arrays) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (var entry : arrays.entrySet()) {
            float[] a = entry.getValue();
            byte[] header = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(a.length).array();
            java.util.zip.CRC32 crc = new java.util.zip.CRC32();
            crc.update(header);
            forEachChunk(a, buf, (bytes, n) -> crc.update(bytes, 0, n)); // a stored entry needs its CRC up front
            ZipEntry e = new ZipEntry(prefix + entry.getKey() + ".f32");
            e.setMethod(ZipEntry.STORED);
            e.setSize(4 + 4L * a.length);
            e.setCompressedSize(4 + 4L * a.length);
            e.setCrc(crc.getValue());
            zip.putNextEntry(e);
            zip.write(header);
            forEachChunk(a, buf, (bytes, n) -> zip.write(bytes, 0, n));
            zip.closeEntry();
        }
    }

    private interface Chunk {
        void accept(byte[] bytes, int length) throws IOException;
    }

    private static void forEachChunk(float[] a, ByteBuffer buf, Chunk chunk) throws IOException {
        for (int at = 0; at < a.length; ) {
            buf.clear();
            int n = Math.min(a.length - at, buf.capacity() / 4);
            buf.asFloatBuffer().put(a, at, n);
            chunk.accept(buf.array(), n * 4);
            at += n;
        }
    }

    /** An array's values; its 4-byte length must be the {@code expected} one, checked before anything is allocated. */
    private static float[] readFloats(InputStream in, long expected, String name) throws IOException {
        DataInputStream data = new DataInputStream(in);
        byte[] len = data.readNBytes(4);
        if (len.length < 4) throw new java.io.EOFException(name + ": array header cut short");
        long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt() & 0xffffffffL;
        if (n != expected) throw new java.io.EOFException(name + " says it holds " + n + " values; the architecture needs " + expected);
        float[] out = new float[(int) n];
        byte[] chunk = new byte[1 << 20];
        for (int at = 0; at < n; ) {
            int want = (int) Math.min(n - at, chunk.length / 4) * 4;
            data.readFully(chunk, 0, want);
            ByteBuffer.wrap(chunk, 0, want).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, at, want / 4);
            at += want / 4;
        }
        return out;
    }
}
