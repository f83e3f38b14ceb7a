package dev.lote.io;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lote.nn.Model;
import dev.lote.nn.Weight;
import dev.lote.torch.Network.OptimizerState;
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
public record ModelFile(ModelInfo info, Map<String, float[]> weights, OptimizerState optimizer) {
    public static final String FORMAT = "lote-model";
    public static final int VERSION = 2;

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

    public static ModelFile load(Path file) throws ModelFileException {
        ModelInfo info = null;
        Map<String, float[]> arrays = new HashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().equals("model.json")) info = readInfo(file, zip.readAllBytes());
                else if (e.getName().endsWith(".f32")) arrays.put(e.getName(), readFloats(zip));
            }
        } catch (NoSuchFileException e) {
            throw new ModelFileException(file, "no such file");
        } catch (ZipException | java.io.EOFException e) {
            throw new ModelFileException(file, "damaged or not a Lote model file (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new ModelFileException(file, "cannot read (" + e.getMessage() + ")");
        }
        if (info == null) throw new ModelFileException(file, "not a Lote model file (no model.json inside)");
        Map<String, Weight> specs = info.architecture().weightsByPath();
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
        OptimizerState opt = m == null || v == null ? null : new OptimizerState(info.optimizerSteps(), m, v);
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

    private static float[] readFloats(InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        byte[] len = data.readNBytes(4);
        if (len.length < 4) throw new java.io.EOFException("array header cut short");
        int n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt();
        if (n < 0 || n > 1 << 30) throw new java.io.EOFException("implausible array length " + n);
        float[] out = new float[n];
        byte[] chunk = new byte[1 << 20];
        for (int at = 0; at < n; ) {
            int want = Math.min(n - at, chunk.length / 4) * 4;
            data.readFully(chunk, 0, want);
            ByteBuffer.wrap(chunk, 0, want).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out, at, want / 4);
            at += want / 4;
        }
        return out;
    }
}
