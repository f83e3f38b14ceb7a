package dev.lote.image;

import static org.bytedeco.opencv.global.opencv_core.BORDER_CONSTANT;
import static org.bytedeco.opencv.global.opencv_core.CV_16U;
import static org.bytedeco.opencv.global.opencv_core.CV_8U;
import static org.bytedeco.opencv.global.opencv_core.CV_8UC3;
import static org.bytedeco.opencv.global.opencv_core.copyMakeBorder;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_COLOR_RGB;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_2;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_4;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_REDUCED_COLOR_8;
import static org.bytedeco.opencv.global.opencv_imgcodecs.IMREAD_UNCHANGED;
import static org.bytedeco.opencv.global.opencv_imgcodecs.imdecode;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_BGR2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.COLOR_GRAY2RGB;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_AREA;
import static org.bytedeco.opencv.global.opencv_imgproc.INTER_LINEAR;
import static org.bytedeco.opencv.global.opencv_imgproc.cvtColor;
import static org.bytedeco.opencv.global.opencv_imgproc.resize;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.PointerScope;
import org.bytedeco.opencv.global.opencv_imgcodecs;
import org.bytedeco.opencv.opencv_core.Mat;
import org.bytedeco.opencv.opencv_core.Rect;
import org.bytedeco.opencv.opencv_core.Scalar;
import org.bytedeco.opencv.opencv_core.Size;

/**
 * Reads an image file into 8-bit RGB at the model's input size. The header is checked first (size and pixel
 * limits, before any pixel buffer exists); OpenCV's {@code imdecode} is the fast path (EXIF rotation and CMYK
 * handled for JPEG); ImageIO with TwelveMonkeys reads what OpenCV cannot. A file that would decode to a silently
 * grey image (truncated, or grey-filled by the decoder) is refused with its reason. Thread-safe.
 * {@code new Decoder(Limits.DEFAULT).read(path, 768, 1024, Resize.STRETCH)}
 */
public final class Decoder {
    private static volatile boolean loaded;
    private final Limits limits;
    private boolean reducedDecoding = true;

    /** Always decode at full size first (for comparing against the reduced decode). */
    Decoder fullSize() {
        reducedDecoding = false;
        return this;
    }

    public Decoder(Limits limits) { this.limits = limits; }

    public Decoder() { this(Limits.DEFAULT); }

    /** Decodes without resizing. */
    public Pixels read(Path file) throws BadImageException { return read(file, 0, 0, Resize.STRETCH); }

    /** Decodes and resizes to {@code height × width} (0 × 0 keeps the file's size). */
    public Pixels read(Path file, int height, int width, Resize policy) throws BadImageException {
        return read(readBytes(file), file, height, width, policy);
    }

    /** Decodes and resizes to exactly {@code height × width} straight into {@code out} at {@code offset}. */
    public void readInto(Path file, int height, int width, Resize policy, byte[] out, int offset) throws BadImageException {
        decode(readBytes(file), file, height, width, policy, out, offset);
    }

    /** Decodes bytes already in memory (an upload, say); {@code name} appears in errors. */
    public Pixels read(byte[] bytes, Path name, int height, int width, Resize policy) throws BadImageException {
        return decode(bytes, name, height, width, policy, null, 0);
    }

    /** Into {@code out} when given (then the result is null), else into a new {@link Pixels}. */
    private Pixels decode(byte[] bytes, Path name, int height, int width, Resize policy, byte[] out, int offset)
            throws BadImageException {
        return decode(bytes, name, height, width, policy, out, offset, null);
    }

    /**
     * {@code notes}: where the decoder's own messages about a file that decodes go ("Corrupt JPEG data: …"); when
     * null they are printed once per file on stderr, with its name.
     */
    private Pixels decode(byte[] bytes, Path name, int height, int width, Resize policy, byte[] out, int offset, List<String> notes)
            throws BadImageException {
        if (bytes.length == 0) throw new BadImageException(name, "empty file (0 bytes)");
        if (bytes.length > limits.maxFileBytes()) throw new BadImageException(name, String.format(Locale.ROOT,
                "file is %.1f MB, over the limit of %.1f MB", bytes.length / 1048576.0, limits.maxFileBytes() / 1048576.0), true);
        Path file = name;
        Header header = probe(file, bytes);
        load();
        try (PointerScope scope = new PointerScope()) {
            int reduce = isJpeg(bytes) && height > 0 && reducedDecoding ? reduction(header, height, width, Orientation.of(bytes) >= 5) : 1;
            DecoderMessages.begin();
            Mat rgb;
            String message; // told only if the file decodes: a refusal's reason says enough
            try {
                rgb = decodeOpenCv(file, bytes, header, reduce);
            } finally {
                message = DecoderMessages.end();
            }
            if (rgb == null) {
                reduce = 1;
                rgb = fromPixels(isJpeg(bytes) ? Orientation.apply(ImageIoDecoder.decode(file, bytes), Orientation.of(bytes))
                    : ImageIoDecoder.decode(file, bytes)); // ImageIO ignores EXIF orientation
            }
            int expectH = (header.height() + reduce - 1) / reduce, expectW = (header.width() + reduce - 1) / reduce;
            if (rgb.rows() != expectH || rgb.cols() != expectW) {
                // EXIF rotation swaps the axes; anything else means the decoder and the header disagree
                if (rgb.rows() != expectW || rgb.cols() != expectH) throw new BadImageException(file,
                        "decoded " + rgb.cols() + "x" + rgb.rows() + " but the header declares " + header.width() + "x" + header.height()
                                + (reduce > 1 ? " (decoded at 1/" + reduce + ")" : ""));
            }
            if (greyFilledBottom(rgb)) throw new BadImageException(file, "corrupt data: the decoder filled the bottom rows with grey");
            said(file, message, notes);
            Mat sized = height > 0 ? fit(rgb, height, width, policy) : rgb;
            Mat dense = sized.isContinuous() ? sized : sized.clone();
            int length = sized.rows() * sized.cols() * 3;
            if (out != null) {
                dense.data().get(out, offset, length);
                return null;
            }
            byte[] pixels = new byte[length];
            dense.data().get(pixels);
            return new Pixels(sized.cols(), sized.rows(), pixels);
        } catch (RuntimeException e) { // C++ exceptions from OpenCV arrive as RuntimeException
            throw new BadImageException(file, "cannot decode (" + e.getMessage() + ")");
        }
    }

    private static final java.util.Set<Path> TOLD = java.util.concurrent.ConcurrentHashMap.newKeySet(); // files whose messages were printed

    private static void said(Path file, String message, List<String> notes) {
        if (message == null || (notes == null && (TOLD.size() >= 100_000 || !TOLD.add(file)))) return;
        for (String line : message.split("\\R")) {
            if (line.isBlank()) continue;
            if (notes != null) notes.add("the decoder says: " + line.strip());
            else System.err.println("lote: " + file + ": the decoder says: " + line.strip());
        }
    }

    /** The header only: the size and format the file declares, whatever the pixel limit. */
    public Header header(Path file) throws BadImageException { return header(readBytes(file), file); }

    /** The header of bytes already read; {@code name} appears in errors. */
    public Header header(byte[] bytes, Path name) throws BadImageException {
        Header fast = Headers.parse(bytes);
        return fast != null ? fast : ImageIoDecoder.header(name, bytes);
    }

    /**
     * {@code inspect}'s check, with training's verdict: the file is bad exactly when training would skip it (cannot be
     * decoded, truncated, grey-filled, over the limits). What else a second reader (ImageIO) reports about a file that
     * decodes ("ICC profile is Perceptual, ignoring", a CMYK JPEG without a profile) comes back as notes, not as bad.
     */
    public List<String> verify(Path file) throws BadImageException { return verify(readBytes(file), file); }

    /** {@link #verify(Path)} on bytes already read. */
    public List<String> verify(byte[] bytes, Path name) throws BadImageException {
        List<String> notes = new ArrayList<>();
        decode(bytes, name, 0, 0, Resize.STRETCH, null, 0, notes); // as training decodes it, at its own size
        try {
            ImageIoDecoder.decode(name, bytes);
        } catch (BadImageException e) {
            notes.add("a second decoder says: " + e.reason());
        }
        return notes;
    }

    private byte[] readBytes(Path file) throws BadImageException {
        try {
            long size = Files.size(file);
            if (size == 0) throw new BadImageException(file, "empty file (0 bytes)");
            if (size > limits.maxFileBytes()) throw new BadImageException(file, String.format(Locale.ROOT,
                    "file is %.1f MB, over the limit of %.1f MB", size / 1048576.0, limits.maxFileBytes() / 1048576.0), true);
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadImageException(file, "no such file");
        } catch (IOException e) {
            throw new BadImageException(file, "cannot read (" + e.getMessage() + ")");
        }
    }

    private Header probe(Path file, byte[] bytes) throws BadImageException {
        Header fast = Headers.parse(bytes);
        Header h = fast != null ? fast : ImageIoDecoder.header(file, bytes);
        if (h.width() <= 0 || h.height() <= 0) throw new BadImageException(file, "header declares an empty image");
        if (h.pixels() > limits.maxPixels()) throw new BadImageException(file, String.format(Locale.ROOT,
                "header declares %dx%d = %.0f megapixels, over the limit of %.0f", h.width(), h.height(),
                h.pixels() / 1e6, limits.maxPixels() / 1e6), true);
        // by bytes too: a 16-bit RGBA PNG under the pixel limit can still take 8 bytes a pixel to decode
        if (h.decodedBytes() > limits.maxPixels() * 3) throw new BadImageException(file, String.format(Locale.ROOT,
                "header declares %dx%d at %d bytes a pixel = %.0f MB to decode, over the limit of %.0f MB (%.0f megapixels of 8-bit RGB)",
                h.width(), h.height(), h.bytesPerPixel(), h.decodedBytes() / 1e6, limits.maxPixels() * 3 / 1e6, limits.maxPixels() / 1e6), true);
        if (isJpeg(bytes) && !hasEndMarker(bytes)) throw new BadImageException(file, "truncated JPEG (no end-of-image marker)");
        return h;
    }

    /**
     * How much smaller a JPEG may be decoded (1, 2, 4 or 8: libjpeg scales in the DCT domain, skipping most of the work)
     * while still at least as large as the target on both sides ({@code turned}: EXIF swaps the axes): a 768×1024 photo
     * for a 96×128 input decodes at 1/8 — libjpeg's 8×8 block means, an area resize already.
     */
    static int reduction(Header h, int height, int width, boolean turned) {
        int hh = turned ? h.width() : h.height(), ww = turned ? h.height() : h.width();
        for (int r : new int[] {8, 4, 2}) if (hh / r >= height && ww / r >= width) return r;
        return 1;
    }

    /** OpenCV's decode as RGB, or null when OpenCV cannot read the file (ImageIO then tries). */
    private static Mat decodeOpenCv(Path file, byte[] bytes, Header header, int reduce) throws BadImageException {
        boolean jpeg = isJpeg(bytes);
        if (reduce > 1) {
            Mat m = imdecode(new Mat(bytes), reduce == 8 ? IMREAD_REDUCED_COLOR_8 : reduce == 4 ? IMREAD_REDUCED_COLOR_4 : IMREAD_REDUCED_COLOR_2);
            if (m == null || m.empty()) return null;
            Mat rgb = new Mat();
            cvtColor(m, rgb, COLOR_BGR2RGB); // the reduced modes give BGR
            return rgb;
        }
        // JPEG: decode straight to RGB with EXIF rotation and CMYK conversion; others keep alpha and 16 bits
        Mat m = imdecode(new Mat(bytes), jpeg ? IMREAD_COLOR_RGB : IMREAD_UNCHANGED);
        if (m == null || m.empty()) return null;
        if (m.depth() == CV_16U) {
            Mat eight = new Mat();
            m.convertTo(eight, CV_8U, 1 / 257.0, 0);
            m = eight;
        } else if (m.depth() != CV_8U) {
            return null;
        }
        if (jpeg) return m;
        Mat rgb = new Mat();
        switch (m.channels()) {
            case 1 -> cvtColor(m, rgb, COLOR_GRAY2RGB);
            case 3 -> cvtColor(m, rgb, COLOR_BGR2RGB);
            case 4 -> rgb = flattenOnWhite(m);
            default -> { return null; }
        }
        return rgb;
    }

    /** BGRA → RGB over a white background. */
    private static Mat flattenOnWhite(Mat bgra) {
        int n = bgra.rows() * bgra.cols();
        byte[] in = new byte[n * 4], out = new byte[n * 3];
        (bgra.isContinuous() ? bgra : bgra.clone()).data().get(in);
        for (int p = 0; p < n; p++) {
            int a = in[p * 4 + 3] & 0xff;
            for (int c = 0; c < 3; c++) {
                int v = in[p * 4 + 2 - c] & 0xff;
                out[p * 3 + c] = (byte) ((v * a + 255 * (255 - a) + 127) / 255);
            }
        }
        Mat rgb = new Mat(bgra.rows(), bgra.cols(), CV_8UC3);
        rgb.data().put(out);
        return rgb;
    }

    private static Mat fromPixels(Pixels p) {
        Mat m = new Mat(p.height(), p.width(), CV_8UC3);
        m.data().put(p.rgb());
        return m;
    }

    /** Area interpolation when shrinking, bilinear when enlarging, as the issue and Keras' users expect. */
    static Mat fit(Mat src, int h, int w, Resize policy) {
        if (src.rows() == h && src.cols() == w) return src;
        Mat in = src;
        int th = h, tw = w;
        if (policy == Resize.CROP) {
            double target = (double) w / h, actual = (double) src.cols() / src.rows();
            int cw = actual > target ? (int) Math.round(src.rows() * target) : src.cols();
            int ch = actual > target ? src.rows() : (int) Math.round(src.cols() / target);
            in = src.apply(new Rect((src.cols() - cw) / 2, (src.rows() - ch) / 2, Math.max(1, cw), Math.max(1, ch)));
        } else if (policy == Resize.PAD) {
            double scale = Math.min((double) h / src.rows(), (double) w / src.cols());
            th = Math.max(1, (int) Math.round(src.rows() * scale));
            tw = Math.max(1, (int) Math.round(src.cols() * scale));
        }
        boolean shrinking = (long) th * tw < (long) in.rows() * in.cols();
        Mat out = new Mat();
        resize(in, out, new Size(tw, th), 0, 0, shrinking ? INTER_AREA : INTER_LINEAR);
        if (policy == Resize.PAD && (th != h || tw != w)) {
            Mat padded = new Mat();
            int top = (h - th) / 2, left = (w - tw) / 2;
            copyMakeBorder(out, padded, top, h - th - top, left, w - tw - left, BORDER_CONSTANT, new Scalar(0, 0));
            out = padded;
        }
        return out;
    }

    /**
     * libjpeg fills what it cannot decode with grey 128 and only warns on native stderr. A block of exactly grey
     * rows at the bottom of an image that is not grey elsewhere is that fill, not a photo.
     */
    static boolean greyFilledBottom(Mat rgb) {
        byte[] row = new byte[rgb.cols() * 3];
        return greyFilledBottom(rgb.rows(), y -> {
            rgb.ptr(y).get(row);
            return row;
        });
    }

    /** The same check on decoded pixels. */
    public static boolean greyFilledBottom(Pixels p) {
        byte[] row = new byte[p.width() * 3];
        return greyFilledBottom(p.height(), y -> {
            System.arraycopy(p.rgb(), y * row.length, row, 0, row.length);
            return row;
        });
    }

    private static boolean greyFilledBottom(int rows, java.util.function.IntFunction<byte[]> rowAt) {
        int min = Math.max(2, rows / 32);
        if (rows < 4 * min) return false;
        int grey = 0;
        for (int y = rows - 1; y >= 0 && grey < rows; y--) {
            boolean allGrey = true;
            for (byte b : rowAt.apply(y)) if ((b & 0xff) != 128) { allGrey = false; break; }
            if (!allGrey) break;
            grey++;
        }
        return grey >= min && grey < rows;
    }

    static boolean isJpeg(byte[] b) { return b.length > 3 && (b[0] & 0xff) == 0xFF && (b[1] & 0xff) == 0xD8; }

    /** A complete JPEG ends with FFD9, possibly followed by a little padding or trailer data. */
    /**
     * Whether the JPEG's own end-of-image marker is there: near the end, or where its segments lead when walked from
     * the start. Phones append data after it ("motion photos" carry a video), which is not truncation.
     */
    static boolean hasEndMarker(byte[] b) {
        for (int i = b.length - 2; i >= Math.max(0, b.length - 4096); i--) {
            if ((b[i] & 0xff) == 0xFF && (b[i + 1] & 0xff) == 0xD9) return true;
        }
        int i = 2;
        while (i + 3 < b.length) {
            if ((b[i] & 0xff) != 0xFF) return false;
            int marker = b[i + 1] & 0xff;
            if (marker == 0xD9) return true;
            if (marker == 0xFF || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) { i += marker == 0xFF ? 1 : 2; continue; }
            i += 2 + (((b[i + 2] & 0xff) << 8) | (b[i + 3] & 0xff));
            if (marker == 0xDA) { // entropy-coded data: FF is escaped as FF 00, restarts are FF D0–D7
                while (i + 1 < b.length && !((b[i] & 0xff) == 0xFF && b[i + 1] != 0 && ((b[i + 1] & 0xff) < 0xD0 || (b[i + 1] & 0xff) > 0xD7))) i++;
            }
        }
        return false;
    }

    /** Unpacks OpenCV's natives before loading them (loading while unpacking crashed libtorch here; same care). */
    static void load() {
        if (loaded) return;
        synchronized (Decoder.class) {
            if (loaded) return;
            try {
                Loader.cacheResources(Decoder.class, "/org/bytedeco/opencv/" + Loader.getPlatform() + "/");
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("Cannot unpack OpenCV's native libraries: " + e.getMessage(), e);
            }
            Loader.load(opencv_imgcodecs.class);
            loaded = true;
        }
    }
}
