package dev.lote.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lote.io.ModelFileException;
import dev.lote.nn.Model;
import dev.lote.nn.Weight;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * PyTorch weights by name: {@code torch.save} state dicts ({@code .pth}: a zip of a pickle and raw storages, read
 * by {@link Pickle}, which runs no code) and {@code .safetensors} files (timm, the Hugging Face hub). Values come out
 * as float32 in PyTorch's layout; {@link #toModel} renames and rearranges them for a Lote model.
 */
public final class StateDict {
    private StateDict() {}

    /** One tensor: its PyTorch shape and values. */
    public record Array(int[] shape, float[] values) {}

    public static Map<String, Array> read(Path file) throws ModelFileException {
        try {
            byte[] magic = new byte[2];
            try (InputStream in = java.nio.file.Files.newInputStream(file)) {
                in.readNBytes(magic, 0, 2);
            }
            return magic[0] == 'P' && magic[1] == 'K' ? pth(file) : safetensors(file);
        } catch (NoSuchFileException e) {
            throw new ModelFileException(file, "no such file");
        } catch (ZipException e) {
            throw new ModelFileException(file, "damaged zip (" + e.getMessage() + ")");
        } catch (IOException | RuntimeException e) {
            String m = e.getMessage() == null ? e.toString() : e.getMessage();
            throw new ModelFileException(file, m.startsWith(file.toString()) ? m.substring(file.toString().length() + 2) : m);
        }
    }

    // ---- .pth --------------------------------------------------------------------------------------------------

    private static Map<String, Array> pth(Path file) throws IOException {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry pkl = zip.stream().filter(e -> e.getName().endsWith("/data.pkl") || e.getName().equals("data.pkl")).findFirst()
                    .orElseThrow(() -> new IOException(file + ": not a torch.save file (no data.pkl inside)"));
            String root = pkl.getName().substring(0, pkl.getName().length() - "data.pkl".length());
            if (pkl.getSize() > 256L << 20) throw new IOException(file + ": data.pkl is too large for a state dict");
            byte[] bytes;
            try (InputStream in = zip.getInputStream(pkl)) {
                bytes = in.readAllBytes();
            }
            Object top = Pickle.load(bytes, file.toString());
            if (!(top instanceof Map<?, ?> dict)) throw new IOException(file + ": the pickle holds a " + (top == null ? "None" : top.getClass().getSimpleName())
                    + ", not a state dict");
            if (dict.containsKey("state_dict") && dict.get("state_dict") instanceof Map<?, ?> inner) dict = inner; // a training checkpoint
            Map<String, ByteBuffer> storages = new LinkedHashMap<>();
            Map<String, Array> out = new LinkedHashMap<>();
            for (var e : dict.entrySet()) {
                if (!(e.getValue() instanceof Pickle.TensorRef t)) continue;
                ByteBuffer data = storages.computeIfAbsent(t.storage().key(), k -> storage(zip, root + "data/" + k, file));
                out.put(String.valueOf(e.getKey()), tensor(file, String.valueOf(e.getKey()), t, data));
            }
            return out;
        }
    }

    private static ByteBuffer storage(ZipFile zip, String name, Path file) {
        ZipEntry e = zip.getEntry(name);
        if (e == null) throw new IllegalStateException(file + ": storage " + name + " is missing");
        try (InputStream in = zip.getInputStream(e)) {
            return ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException x) {
            throw new IllegalStateException(file + ": cannot read " + name + " (" + x.getMessage() + ")");
        }
    }

    private static Array tensor(Path file, String key, Pickle.TensorRef t, ByteBuffer data) throws IOException {
        int bytes = bytesOf(t.storage().dtype(), key, file);
        long n = 1;
        for (long d : t.size()) n *= d;
        if (n > Integer.MAX_VALUE) throw new IOException(file + ": tensor " + key + " is too large");
        float[] v = new float[(int) n];
        long[] index = new long[t.size().length];
        for (int i = 0; i < n; i++) {
            long at = t.offset();
            for (int d = 0; d < index.length; d++) at += index[d] * t.stride()[d];
            if (at < 0 || (at + 1) * bytes > data.capacity()) throw new IOException(file + ": tensor " + key + " reaches past its storage");
            v[i] = value(data, (int) (at * bytes), t.storage().dtype());
            for (int d = index.length - 1; d >= 0 && ++index[d] == t.size()[d]; d--) index[d] = 0;
        }
        return new Array(Arrays.stream(t.size()).mapToInt(Math::toIntExact).toArray(), v);
    }

    private static int bytesOf(String dtype, String key, Path file) throws IOException {
        return switch (dtype) {
            case "Float", "F32", "Int", "I32" -> 4;
            case "Double", "F64", "Long", "I64" -> 8;
            case "Half", "F16", "BFloat16", "BF16", "Short", "I16" -> 2;
            case "Byte", "U8", "Char", "I8", "Bool", "BOOL" -> 1;
            default -> throw new IOException(file + ": tensor " + key + " has type " + dtype + ", which Lote does not read");
        };
    }

    private static float value(ByteBuffer b, int at, String dtype) {
        return switch (dtype) {
            case "Float", "F32" -> b.getFloat(at);
            case "Double", "F64" -> (float) b.getDouble(at);
            case "Half", "F16" -> half(b.getShort(at));
            case "BFloat16", "BF16" -> Float.intBitsToFloat((b.getShort(at) & 0xffff) << 16);
            case "Long", "I64" -> b.getLong(at);
            case "Int", "I32" -> b.getInt(at);
            case "Short", "I16" -> b.getShort(at);
            case "Char", "I8" -> b.get(at);
            default -> b.get(at) & 0xff;
        };
    }

    /** IEEE 754 half precision to float (Java 17 has no Float.float16ToFloat). */
    static float half(short h) {
        int sign = (h >>> 15) & 1, exp = (h >>> 10) & 0x1f, mant = h & 0x3ff;
        float v = exp == 0 ? mant * 0x1p-24f : exp == 31 ? (mant == 0 ? Float.POSITIVE_INFINITY : Float.NaN)
                : Float.intBitsToFloat(((exp + 112) << 23) | (mant << 13));
        return sign == 1 ? -v : v;
    }

    // ---- .safetensors ------------------------------------------------------------------------------------------

    private static Map<String, Array> safetensors(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(len, 0) < 8) throw new IOException(file + ": not a .pth or .safetensors file (too short)");
            long headerLength = len.getLong(0);
            if (headerLength <= 0 || headerLength > 100L << 20 || 8 + headerLength > ch.size()) {
                throw new IOException(file + ": not a .pth or .safetensors file (header length " + headerLength + ")");
            }
            ByteBuffer h = ByteBuffer.allocate((int) headerLength);
            ch.read(h, 8);
            JsonNode header = new ObjectMapper().readTree(h.array());
            long base = 8 + headerLength;
            Map<String, Array> out = new LinkedHashMap<>();
            for (var it = header.fields(); it.hasNext(); ) {
                var e = it.next();
                if (e.getKey().equals("__metadata__")) continue;
                JsonNode t = e.getValue();
                String dtype = t.path("dtype").asText();
                long begin = t.path("data_offsets").path(0).asLong(-1), end = t.path("data_offsets").path(1).asLong(-1);
                int[] shape = new int[t.path("shape").size()];
                long n = 1;
                for (int i = 0; i < shape.length; i++) n *= shape[i] = t.path("shape").get(i).asInt();
                int bytes = bytesOf(dtype, e.getKey(), file);
                if (begin < 0 || end - begin != n * bytes || base + end > ch.size()) {
                    throw new IOException(file + ": tensor " + e.getKey() + " has offsets " + t.path("data_offsets") + " that do not fit its shape or the file");
                }
                ByteBuffer data = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
                ch.read(data, base + begin);
                float[] v = new float[(int) n];
                for (int i = 0; i < n; i++) v[i] = value(data, i * bytes, dtype);
                out.put(e.getKey(), new Array(shape, v));
            }
            return out;
        }
    }

    // ---- into a Lote model -------------------------------------------------------------------------------------

    /** PyTorch's name for a Lote weight: kernels and gammas are {@code weight}, betas {@code bias}, moving statistics running_. */
    static String torchName(String weight) {
        return switch (weight) {
            case "kernel", "depthwise_kernel", "gamma" -> "weight";
            case "beta", "bias" -> "bias";
            case "moving_mean" -> "running_mean";
            case "moving_variance" -> "running_var";
            default -> weight;
        };
    }

    /**
     * The model's weights from a state dict whose keys are the model's layer names ({@code layer1.0.conv1.weight}),
     * in Keras' layout. A missing key or a wrong shape is an error naming both; keys the model does not use are left.
     */
    public static Map<String, float[]> toModel(Model model, Map<String, Array> dict, Path file) throws ModelFileException {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (var e : model.weightsByPath().entrySet()) {
            String path = e.getKey();
            Weight w = e.getValue();
            String layer = path.substring(path.lastIndexOf('/', path.length() - w.name().length() - 2) + 1, path.length() - w.name().length() - 1);
            String key = layer + "." + torchName(w.name());
            Array a = dict.get(key);
            if (a == null) throw new ModelFileException(file, "has no " + key + " (for layer '" + layer + "'); is it a "
                    + model.name() + " state dict?");
            if (!Arrays.equals(a.shape(), w.torchShape())) throw new ModelFileException(file, key + " has shape "
                    + Arrays.toString(a.shape()) + "; " + model.name() + " needs " + Arrays.toString(w.torchShape()));
            out.put(path, w.fromTorchLayout(a.values()));
        }
        return out;
    }
}
