package dev.lote.sample;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.Polygon;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.geom.Area;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Synthetic, class-dependent photos for tests, the demo and benchmarks. A class is a shape (7 kinds) with a
 * surface (solid, striped, dotted, outlined) and leans to a hue and a setting, as photos of one kind of object
 * do; the exact colour, size, position, rotation, background and clutter vary within every class, so the class is
 * learnable but not from a single pixel.
 */
public final class SampleImages {
    public static final int MAX_CLASSES = 28;
    private static final int SHAPES = 7;

    private SampleImages() {}

    /** Writes {@code OUT/<class>/<class>_<i>.jpg} for classes {@code 0..classes-1}; same seed, same files. */
    public static void write(Path out, int classes, int perClass, int height, int width, long seed) {
        if (classes < 2 || classes > MAX_CLASSES) throw new IllegalArgumentException("classes must be between 2 and "
                + MAX_CLASSES + ", got " + classes + ".");
        if (perClass < 1) throw new IllegalArgumentException("per-class must be positive, got " + perClass + ".");
        if (height < 8 || width < 8) throw new IllegalArgumentException("Images must be at least 8x8, got " + height + "x" + width + ".");
        try {
            for (int c = 0; c < classes; c++) Files.createDirectories(out.resolve(Integer.toString(c)));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create " + out + ": " + e.getMessage(), e);
        }
        IntStream.range(0, classes * perClass).parallel().forEach(k -> {
            int c = k / perClass, i = k % perClass;
            BufferedImage img = render(c, height, width, new SplittableRandom(seed * 1_000_003L + k));
            writeJpeg(img, out.resolve(Integer.toString(c)).resolve(c + "_" + i + ".jpg"));
        });
    }

    /** One image of class {@code c}. */
    public static BufferedImage render(int c, int h, int w, SplittableRandom r) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        // a scene that leans to the class (as photos of one kind of object share settings), varied per image
        background(g, (c * 0.382 + 0.5 + (r.nextDouble() - 0.5) * 0.2), h, w, r);
        int s = Math.min(w, h);
        // the object is roughly centred, as a photographer frames it: position and size vary, within limits
        double size = s * (0.5 + 0.15 * r.nextDouble());
        double cx = w / 2.0 + (r.nextDouble() - 0.5) * (w - size) * 0.3, cy = h / 2.0 + (r.nextDouble() - 0.5) * (h - size) * 0.3;
        object(g, c, cx, cy, size, h, w, r);
        g.dispose();
        addNoise(img, r, 10);
        return img;
    }

    /**
     * Writes a multi-label set: {@code images} photos {@code OUT/images/<i>.jpg}, each with 1 to 3 objects of different
     * classes ({@code 0..classes-1}, drawn as {@link #render}'s) in different quarters of a scene that belongs to no class,
     * and {@code OUT/labels.csv} ({@code file,label,split}: the classes joined by {@code ;}; 70 % train, 15 % val, 15 % test),
     * and where each object is drawn in {@code OUT/boxes.csv} ({@code file,class,left,top,width,height}, pixels).
     */
    public static void writeMultiLabel(Path out, int classes, int images, int height, int width, long seed) {
        if (classes < 2 || classes > MAX_CLASSES) throw new IllegalArgumentException("classes must be between 2 and "
                + MAX_CLASSES + ", got " + classes + ".");
        if (images < 1) throw new IllegalArgumentException("images must be positive, got " + images + ".");
        if (height < 16 || width < 16) throw new IllegalArgumentException("Images must be at least 16x16, got " + height + "x" + width + ".");
        String[] rows = new String[images], boxes = new String[images];
        try {
            Files.createDirectories(out.resolve("images"));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create " + out + ": " + e.getMessage(), e);
        }
        IntStream.range(0, images).parallel().forEach(k -> {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + k);
            BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
            Graphics2D g = img.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            background(g, r.nextDouble(), height, width, r);
            int count = 1 + r.nextInt(Math.min(3, classes)), quarters = 4;
            java.util.TreeSet<Integer> chosen = new java.util.TreeSet<>();
            while (chosen.size() < count) chosen.add(r.nextInt(classes));
            int[] cells = IntStream.range(0, quarters).toArray();
            for (int a = quarters - 1; a > 0; a--) { int b = r.nextInt(a + 1), t = cells[a]; cells[a] = cells[b]; cells[b] = t; }
            int at = 0;
            double size = Math.min(width, height) * 0.42;
            StringBuilder where = new StringBuilder();
            String name = String.format(java.util.Locale.ROOT, "images/%05d.jpg", k);
            for (int c : chosen) {
                int cell = cells[at++];
                double cx = width * (0.25 + 0.5 * (cell % 2)) + (r.nextDouble() - 0.5) * width * 0.08;
                double cy = height * (0.25 + 0.5 * (cell / 2)) + (r.nextDouble() - 0.5) * height * 0.08;
                java.awt.Rectangle box = object(g, c, cx, cy, size * (0.85 + 0.3 * r.nextDouble()), height, width, r)
                        .intersection(new java.awt.Rectangle(0, 0, width, height));
                where.append(where.length() == 0 ? "" : "\n").append(name).append(',').append(c).append(',').append(box.x).append(',')
                        .append(box.y).append(',').append(box.width).append(',').append(box.height);
            }
            g.dispose();
            addNoise(img, r, 10);
            boxes[k] = where.toString();
            writeJpeg(img, out.resolve(name));
            double u = r.nextDouble();
            rows[k] = name + "," + String.join(";", chosen.stream().map(String::valueOf).toList()) + "," + (u < 0.7 ? "train" : u < 0.85 ? "val" : "test");
        });
        try {
            Files.writeString(out.resolve("labels.csv"), "file,label,split\n" + String.join("\n", rows) + "\n");
            Files.writeString(out.resolve("boxes.csv"), "file,class,left,top,width,height\n" + String.join("\n", boxes) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + out.resolve("labels.csv") + ": " + e.getMessage(), e);
        }
    }

    /** A gradient around {@code hue} (a turn, any real) with thin lines of clutter that belong to no class. */
    private static void background(Graphics2D g, double hue, int h, int w, SplittableRandom r) {
        float sceneHue = (float) (hue % 1.0 + 1.0) % 1f;
        float otherHue = (sceneHue + 0.15f + 0.2f * r.nextFloat()) % 1f;
        g.setPaint(new GradientPaint(0, 0, Color.getHSBColor(sceneHue, 0.2f + 0.4f * r.nextFloat(), 0.3f + 0.5f * r.nextFloat()),
                w, h, Color.getHSBColor(otherHue, 0.2f + 0.5f * r.nextFloat(), 0.2f + 0.6f * r.nextFloat())));
        g.fillRect(0, 0, w, h);
        int s = Math.min(w, h);
        for (int k = 0; k < 4; k++) { // clutter
            g.setColor(withAlpha(randomColour(r, 0.2f, 0.9f), 90));
            g.setStroke(new BasicStroke(Math.max(1f, s / 120f)));
            g.drawLine(r.nextInt(w), r.nextInt(h), r.nextInt(w), r.nextInt(h));
        }
    }

    /** Class {@code c}'s object, {@code size} across, centred at (cx, cy): its shape, surface and hue, jittered; its bounds. */
    private static java.awt.Rectangle object(Graphics2D g, int c, double cx, double cy, double size, int h, int w, SplittableRandom r) {
        int s = Math.min(w, h);
        Shape shape = AffineTransform.getTranslateInstance(cx, cy).createTransformedShape(
                AffineTransform.getRotateInstance((r.nextDouble() - 0.5) * Math.PI / 4).createTransformedShape(
                        outline(c % SHAPES, size / 2)));
        // each class leans to its own hue, as real classes do (sky, leaves, skin); every image jitters it
        float hue = (float) ((c * 0.618034 + (r.nextDouble() - 0.5) * 0.14) % 1.0 + 1.0) % 1f;
        Color colour = Color.getHSBColor(hue, 0.45f + 0.55f * r.nextFloat(), 0.35f + 0.6f * r.nextFloat());
        Color contrast = new Color(255 - colour.getRed(), 255 - colour.getGreen(), 255 - colour.getBlue());
        float stroke = (float) Math.max(1, size / 14);
        switch (c / SHAPES) {
            case 0 -> { g.setColor(colour); g.fill(shape); }
            case 1 -> { // stripes
                g.setColor(colour);
                g.fill(shape);
                g.setClip(shape);
                g.setColor(contrast);
                g.setStroke(new BasicStroke(stroke * 0.6f));
                for (double x = -s; x < w + s; x += stroke * 2) g.drawLine((int) x, 0, (int) (x + h * 0.5), h);
                g.setClip(null);
            }
            case 2 -> { // dots
                g.setColor(colour);
                g.fill(shape);
                g.setClip(shape);
                g.setColor(contrast);
                double step = stroke * 1.8;
                for (double y = 0; y < h; y += step) for (double x = 0; x < w; x += step) g.fill(new Ellipse2D.Double(x, y, stroke * 0.8, stroke * 0.8));
                g.setClip(null);
            }
            default -> { g.setColor(colour); g.setStroke(new BasicStroke(stroke)); g.draw(shape); }
        }
        return shape.getBounds();
    }

    /** A shape of radius {@code rad} centred on the origin. */
    static Shape outline(int kind, double rad) {
        return switch (kind) {
            case 0 -> new Ellipse2D.Double(-rad, -rad, 2 * rad, 2 * rad);
            case 1 -> new Rectangle2D.Double(-rad * 0.8, -rad * 0.8, rad * 1.6, rad * 1.6);
            case 2 -> polygon(3, rad, 0);
            case 3 -> { // cross
                Area a = new Area(new Rectangle2D.Double(-rad, -rad * 0.3, 2 * rad, rad * 0.6));
                a.add(new Area(new Rectangle2D.Double(-rad * 0.3, -rad, rad * 0.6, 2 * rad)));
                yield a;
            }
            case 4 -> { // ring
                Area a = new Area(new Ellipse2D.Double(-rad, -rad, 2 * rad, 2 * rad));
                a.subtract(new Area(new Ellipse2D.Double(-rad * 0.55, -rad * 0.55, rad * 1.1, rad * 1.1)));
                yield a;
            }
            case 5 -> star(rad);
            default -> new Rectangle2D.Double(-rad, -rad * 0.2, 2 * rad, rad * 0.4); // bar
        };
    }

    private static Polygon polygon(int n, double rad, double phase) {
        Polygon p = new Polygon();
        for (int i = 0; i < n; i++) {
            double a = phase + 2 * Math.PI * i / n;
            p.addPoint((int) Math.round(rad * Math.cos(a)), (int) Math.round(rad * Math.sin(a)));
        }
        return p;
    }

    private static Polygon star(double rad) {
        Polygon p = new Polygon();
        for (int i = 0; i < 10; i++) {
            double a = Math.PI * i / 5, r = i % 2 == 0 ? rad : rad * 0.45;
            p.addPoint((int) Math.round(r * Math.cos(a)), (int) Math.round(r * Math.sin(a)));
        }
        return p;
    }

    private static Color randomColour(SplittableRandom r, float minBright, float maxBright) {
        return Color.getHSBColor(r.nextFloat(), 0.3f + 0.7f * r.nextFloat(), minBright + (maxBright - minBright) * r.nextFloat());
    }

    private static Color withAlpha(Color c, int a) { return new Color(c.getRed(), c.getGreen(), c.getBlue(), a); }

    private static void addNoise(BufferedImage img, SplittableRandom r, int amplitude) {
        byte[] px = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < px.length; i++) {
            int v = (px[i] & 0xff) + r.nextInt(2 * amplitude + 1) - amplitude;
            px[i] = (byte) Math.max(0, Math.min(255, v));
        }
    }

    static void writeJpeg(BufferedImage img, Path file) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(0.9f);
        try {
            Files.deleteIfExists(file); // the stream below writes in place and would keep a longer old file's tail
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot replace " + file + ": " + e.getMessage(), e);
        }
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write " + file + ": " + e.getMessage(), e);
        } finally {
            writer.dispose();
        }
    }
}
