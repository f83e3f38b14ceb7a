package dev.lote.sample;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * A photo set shaped like the notebook's, from real pictures: cut-out photos of objects (images with
 * transparency, one folder per class, one file per object) pasted on real photos used as backgrounds. Objects and
 * backgrounds are split first, so OUT/test shows objects and backgrounds that OUT/train never does: test accuracy
 * then measures whether a model learned the class, not the pictures.
 */
public final class PastedPhotos {
    private PastedPhotos() {}

    /** What was written; the object files each part drew from, as class/file. */
    public record Summary(List<String> classes, List<String> trainObjects, List<String> testObjects, int trainBackgrounds,
                          int testBackgrounds, int trainImages, int testImages) {}

    private record Split<T>(List<T> train, List<T> test, List<Path> trainFiles, List<Path> testFiles) {}

    public static Summary write(Path objects, Path backgrounds, Path out, int perClass, int testPerClass, double testShare,
                                int height, int width, long seed) {
        if (testShare <= 0 || testShare >= 1) throw new IllegalArgumentException("The test share must be between 0 and 1, got " + testShare + ".");
        List<Path> classDirs = list(objects).stream().filter(Files::isDirectory).sorted().toList();
        if (classDirs.size() < 2) throw new IllegalArgumentException(objects + " needs at least 2 class folders of object images.");
        List<String> classes = classDirs.stream().map(p -> p.getFileName().toString()).toList();
        List<Split<BufferedImage>> objectSplits = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(seed);
        for (Path dir : classDirs) {
            List<Path> files = list(dir).stream().filter(PastedPhotos::isImage).sorted().toList();
            if (files.size() < 2) throw new IllegalArgumentException(dir + " has " + files.size() + " object images; each class needs "
                    + "2 or more, so that test objects differ from training ones.");
            objectSplits.add(split(files, testShare, r.split(), f -> load(f, 600, true)));
        }
        List<Path> backgroundFiles;
        try (Stream<Path> s = Files.walk(backgrounds)) {
            backgroundFiles = s.filter(p -> Files.isRegularFile(p) && isImage(p)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + backgrounds + ": " + e.getMessage(), e);
        }
        if (backgroundFiles.size() < 2) throw new IllegalArgumentException(backgrounds + " needs 2 or more background photos.");
        Split<BufferedImage> bg = split(backgroundFiles, testShare, r.split(), f -> load(f, 1400, false));
        long base = r.nextLong();
        for (String part : List.of("train", "test")) {
            int n = part.equals("train") ? perClass : testPerClass;
            boolean test = part.equals("test");
            IntStream.range(0, classes.size() * n).parallel().forEach(k -> {
                int c = k / n, i = k % n;
                SplittableRandom ri = new SplittableRandom(base ^ (k * 0x9E3779B97F4A7C15L) ^ (test ? 0x5DEECE66DL : 0));
                List<BufferedImage> objs = test ? objectSplits.get(c).test() : objectSplits.get(c).train();
                List<BufferedImage> bgs = test ? bg.test() : bg.train();
                BufferedImage img = compose(bgs.get(ri.nextInt(bgs.size())), objs.get(ri.nextInt(objs.size())), height, width, ri);
                Path file = out.resolve(part).resolve(classes.get(c)).resolve(String.format(Locale.ROOT, "%s_%03d.jpg", classes.get(c), i));
                try {
                    Files.createDirectories(file.getParent());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                SampleImages.writeJpeg(img, file);
            });
        }
        return new Summary(classes, names(objectSplits, true), names(objectSplits, false), bg.train().size(), bg.test().size(),
                classes.size() * perClass, classes.size() * testPerClass);
    }

    private static List<String> names(List<Split<BufferedImage>> splits, boolean train) {
        List<String> out = new ArrayList<>();
        for (Split<BufferedImage> s : splits) {
            for (Path p : train ? s.trainFiles() : s.testFiles()) out.add(p.getParent().getFileName() + "/" + p.getFileName());
        }
        return out;
    }

    /** A background crop filling the frame, and the object at a random size, place, angle and side. */
    static BufferedImage compose(BufferedImage background, BufferedImage object, int height, int width, SplittableRandom r) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        // background: a crop with the frame's aspect, 50-100 % of the largest such crop
        double aspect = width / (double) height;
        double maxW = Math.min(background.getWidth(), background.getHeight() * aspect);
        double cw = maxW * (0.5 + 0.5 * r.nextDouble()), ch = cw / aspect;
        double cx = r.nextDouble() * (background.getWidth() - cw), cy = r.nextDouble() * (background.getHeight() - ch);
        AffineTransform bgt = new AffineTransform();
        bgt.scale(width / cw, height / ch);
        bgt.translate(-cx, -cy);
        if (r.nextBoolean()) { // mirrored backgrounds: more variety from the same photos
            AffineTransform flip = AffineTransform.getTranslateInstance(width, 0);
            flip.scale(-1, 1);
            flip.concatenate(bgt);
            bgt = flip;
        }
        g.drawImage(background, bgt, null);
        // the object: longer side 35-80 % of the frame's shorter side, anywhere it fits, ±20°, either side
        double size = Math.min(width, height) * (0.35 + 0.45 * r.nextDouble());
        double scale = size / Math.max(object.getWidth(), object.getHeight());
        double ow = object.getWidth() * scale, oh = object.getHeight() * scale;
        double px = ow / 2 + r.nextDouble() * Math.max(0, width - ow), py = oh / 2 + r.nextDouble() * Math.max(0, height - oh);
        AffineTransform t = AffineTransform.getTranslateInstance(px, py);
        t.rotate(Math.toRadians(-20 + 40 * r.nextDouble()));
        t.scale(r.nextBoolean() ? -scale : scale, scale);
        t.translate(-object.getWidth() / 2.0, -object.getHeight() / 2.0);
        g.drawImage(object, t, null);
        g.dispose();
        return img;
    }

    private static <T> Split<T> split(List<Path> files, double testShare, SplittableRandom r, java.util.function.Function<Path, T> load) {
        List<Path> shuffled = new ArrayList<>(files);
        for (int i = shuffled.size() - 1; i > 0; i--) java.util.Collections.swap(shuffled, i, r.nextInt(i + 1));
        int test = Math.max(1, Math.min(shuffled.size() - 1, (int) Math.round(shuffled.size() * testShare)));
        List<Path> teFiles = List.copyOf(shuffled.subList(0, test)), trFiles = List.copyOf(shuffled.subList(test, shuffled.size()));
        return new Split<>(trFiles.parallelStream().map(load).toList(), teFiles.parallelStream().map(load).toList(), trFiles, teFiles);
    }

    /** Reads an image, shrunk so its longer side is at most {@code maxSide}; with alpha for objects. */
    private static BufferedImage load(Path file, int maxSide, boolean alpha) {
        BufferedImage src;
        try {
            src = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file + ": " + e.getMessage(), e);
        }
        if (src == null) throw new IllegalArgumentException(file + ": not an image ImageIO can read");
        double s = Math.min(1.0, maxSide / (double) Math.max(src.getWidth(), src.getHeight()));
        int w = Math.max(1, (int) Math.round(src.getWidth() * s)), h = Math.max(1, (int) Math.round(src.getHeight() * s));
        BufferedImage out = new BufferedImage(w, h, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
        g.drawImage(src, 0, 0, w, h, null);
        g.dispose();
        return out;
    }

    private static boolean isImage(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".webp") || n.endsWith(".gif");
    }

    private static List<Path> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + dir + ": " + e.getMessage(), e);
        }
    }
}
