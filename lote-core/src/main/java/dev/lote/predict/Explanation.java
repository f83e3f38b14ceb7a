package dev.lote.predict;

import dev.lote.data.Batch;
import dev.lote.image.Pixels;
import dev.lote.io.AtomicFile;
import dev.lote.nn.InputLayer;
import dev.lote.nn.Model;
import dev.lote.torch.Network;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * What the model looked at: a Grad-CAM heat map (Selvaraju et al.) of one image for one class, at the resolution of the
 * layer explained (by default the last one with an image-shaped output, where the features still have a place), with
 * the image as the model saw it; {@link #png} draws the map over the image.
 *
 * @param heat row-major {@code heatHeight × heatWidth} values in [0, 1]: 1 where the class's evidence is strongest
 */
public record Explanation(String file, String className, double probability, String layer, int heatHeight, int heatWidth,
                          float[] heat, Pixels image) {

    /** The last call of {@code arch} whose output is image-shaped (a nested backbone's output counts): Grad-CAM's usual choice. */
    public static String defaultLayer(Model arch) {
        List<Model.Call> calls = arch.calls();
        for (int i = calls.size() - 1; i >= 0; i--) {
            Model.Call c = calls.get(i);
            if (!(c.layer() instanceof InputLayer) && c.output().isImage()) return c.layer().name();
        }
        throw new IllegalArgumentException("Model '" + arch.name() + "' has no layer with an image-shaped output to explain.");
    }

    /** Grad-CAM of {@code batch}'s one image for class {@code classIndex} at {@code layer}; {@code arch} is the network's model. */
    public static Explanation of(Network network, Model arch, Batch batch, String layer, int classIndex, String className, double probability) {
        if (batch.size() != 1) throw new IllegalArgumentException("Explain one image at a time, got " + batch.size() + ".");
        Model.Call call = find(arch, layer);
        if (!call.output().isImage()) throw new IllegalArgumentException("Layer '" + layer + "' gives " + call.output()
                + ", not an image-shaped output to explain; choose a convolution's.");
        float[] heat = network.gradCam(batch, layer, new int[] {classIndex})[0];
        int h = call.output().height(), w = call.output().width();
        if (h * w != heat.length) throw new IllegalStateException("Grad-CAM of " + layer + " gave " + heat.length + " values for " + h + "x" + w);
        var shape = batch.sampleShape();
        byte[] rgb = java.util.Arrays.copyOf(batch.pixels(), Math.toIntExact(shape.size()));
        return new Explanation(batch.files().get(0).toString(), className, probability, layer, h, w, heat,
                new Pixels(shape.width(), shape.height(), rgb));
    }

    /** The call of {@code layer} (a path into nested models, {@code backbone/out_relu}). */
    static Model.Call find(Model arch, String layer) {
        int slash = layer.indexOf('/');
        String head = slash < 0 ? layer : layer.substring(0, slash);
        for (Model.Call c : arch.calls()) {
            if (!c.layer().name().equals(head)) continue;
            if (slash < 0) return c;
            if (c.layer() instanceof Model sub) return find(sub, layer.substring(slash + 1));
        }
        throw new IllegalArgumentException("Model '" + arch.name() + "' has no layer '" + layer + "'.");
    }

    /** The heat at image pixel (x, y), bilinear between the layer's cells (centres aligned, as OpenCV's resize). */
    public double heatAt(int x, int y) {
        double fx = (x + 0.5) * heatWidth / image.width() - 0.5, fy = (y + 0.5) * heatHeight / image.height() - 0.5;
        int x0 = (int) Math.floor(fx), y0 = (int) Math.floor(fy);
        double ax = fx - x0, ay = fy - y0;
        return (1 - ay) * ((1 - ax) * cell(x0, y0) + ax * cell(x0 + 1, y0)) + ay * ((1 - ax) * cell(x0, y0 + 1) + ax * cell(x0 + 1, y0 + 1));
    }

    private double cell(int x, int y) {
        return heat[Math.max(0, Math.min(heatHeight - 1, y)) * heatWidth + Math.max(0, Math.min(heatWidth - 1, x))];
    }

    /**
     * Writes the image with the heat map over it (blue → red, half transparent where the heat is high) as a PNG, the
     * shorter side at least {@code minSide} pixels so a 96×128 input is still readable; atomically.
     */
    public void png(Path out, int minSide) throws IOException {
        byte[] bytes = png(minSide);
        AtomicFile.write(out, o -> o.write(bytes));
    }

    /** {@link #png(Path, int)}'s image as PNG bytes (a report inlines them). */
    public byte[] png(int minSide) throws IOException {
        int w = image.width(), h = image.height();
        BufferedImage overlay = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        byte[] rgb = image.rgb();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int i = 3 * (y * w + x);
                double t = heatAt(x, y), alpha = 0.15 + 0.45 * t;
                int[] c = colour(t);
                int r = (int) ((1 - alpha) * (rgb[i] & 0xff) + alpha * c[0]), g = (int) ((1 - alpha) * (rgb[i + 1] & 0xff) + alpha * c[1]),
                        b = (int) ((1 - alpha) * (rgb[i + 2] & 0xff) + alpha * c[2]);
                overlay.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        double scale = Math.max(1, minSide / (double) Math.min(w, h));
        BufferedImage shown = overlay;
        if (scale > 1) {
            shown = new BufferedImage((int) Math.round(w * scale), (int) Math.round(h * scale), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = shown.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(overlay, 0, 0, shown.getWidth(), shown.getHeight(), null);
            g.dispose();
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        ImageIO.write(shown, "png", bytes);
        return bytes.toByteArray();
    }

    /** A blue–cyan–yellow–red ramp for t in [0, 1]. */
    private static int[] colour(double t) {
        double r = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 3))), g = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 2))),
                b = Math.min(1, Math.max(0, 1.5 - Math.abs(4 * t - 1)));
        return new int[] {(int) (255 * r), (int) (255 * g), (int) (255 * b)};
    }
}
