package dev.lote.train;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleSupplier;

/**
 * Writes a run for TensorBoard, as Keras' {@code TensorBoard} callback lays it out: {@code DIR/train} holds
 * {@code epoch_loss}, {@code epoch_accuracy} and {@code epoch_learning_rate} per epoch, {@code DIR/validation} the
 * same metrics of the validation images (so TensorBoard draws both runs on one chart), and, when given, the recipe as
 * text and the validation confusion matrix as an image. {@code tensorboard --logdir DIR} shows it, live: every record
 * is flushed as it is written, so closing it (try-with-resources) only releases the files.
 */
public final class TensorBoard implements Callback, AutoCloseable {
    private final Path dir;
    private DoubleSupplier learningRate;
    private EventFile train, validation;

    public TensorBoard(Path dir) { this.dir = dir; }

    /** Where the learning rate of each epoch is read from (a schedule changes it); without it none is logged. */
    public TensorBoard learningRate(DoubleSupplier rate) { learningRate = rate; return this; }

    public Path dir() { return dir; }

    @Override public void onTrainBegin(int epochs, int stepsPerEpoch) {
        try {
            if (train == null) train = new EventFile(dir.resolve("train"));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write TensorBoard logs in " + dir + ": " + e.getMessage(), e);
        }
    }

    @Override public void onEpochEnd(int epoch, Logs logs) {
        try {
            for (Map.Entry<String, Double> m : logs.asMap().entrySet()) {
                boolean val = m.getKey().startsWith("val_");
                if (val && validation == null) validation = new EventFile(dir.resolve("validation"));
                (val ? validation : train).scalar("epoch_" + (val ? m.getKey().substring(4) : m.getKey()), epoch, m.getValue());
            }
            if (learningRate != null && !logs.has("learning_rate")) train.scalar("epoch_learning_rate", epoch, learningRate.getAsDouble());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write TensorBoard logs in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The run's settings, as a Markdown code block under the tag {@code recipe}. */
    public void recipe(String json) throws IOException {
        onTrainBegin(0, 0);
        train.text("recipe", 0, "```json\n" + json + "\n```");
    }

    /** The confusion matrix (rows true, columns predicted) as an image under {@code confusion_matrix} at {@code step}. */
    public void confusion(List<String> classes, int[][] confusion, long step) throws IOException {
        if (validation == null) validation = new EventFile(dir.resolve("validation"));
        BufferedImage img = heatMap(classes, confusion);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(img, "png", png);
        validation.image("confusion_matrix", step, png.toByteArray(), img.getHeight(), img.getWidth());
    }

    /**
     * The report's heat map as pixels: a cell's shade is its share of the true class, blue on the diagonal, red off
     * it; class names and counts where a font is installed (without one the cells alone, in the same order).
     */
    static BufferedImage heatMap(List<String> classes, int[][] confusion) {
        int k = classes.size(), cell = Math.max(8, Math.min(40, 640 / Math.max(1, k)));
        int label = 10 + Math.min(18, classes.stream().mapToInt(String::length).max().orElse(1)) * 7;
        BufferedImage img = new BufferedImage(label + k * cell + 10, label + k * cell + 10, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        boolean text = true;
        try {
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
            g.getFontMetrics(); // loads the font: a JRE without fonts fails here
        } catch (Error | RuntimeException e) {
            text = false;
        }
        for (int i = 0; i < k; i++) {
            int row = 0;
            for (int n : confusion[i]) row += n;
            for (int j = 0; j < k; j++) {
                double share = row == 0 ? 0 : confusion[i][j] / (double) row;
                g.setColor(i == j ? shade(share, 31, 119, 180) : shade(share, 214, 39, 40));
                g.fillRect(label + j * cell, label + i * cell, cell, cell);
                if (text && cell >= 22 && confusion[i][j] > 0) {
                    g.setColor(share > 0.55 ? Color.WHITE : Color.DARK_GRAY);
                    String n = Integer.toString(confusion[i][j]);
                    g.drawString(n, label + j * cell + (cell - g.getFontMetrics().stringWidth(n)) / 2, label + i * cell + cell / 2 + 4);
                }
            }
            if (text) {
                String name = classes.get(i).length() > 18 ? classes.get(i).substring(0, 17) + "…" : classes.get(i);
                g.setColor(Color.DARK_GRAY);
                g.drawString(name, label - 6 - g.getFontMetrics().stringWidth(name), label + i * cell + cell / 2 + 4);
                Graphics2D r = (Graphics2D) g.create();
                r.translate(label + i * cell + cell / 2 + 4, label - 6);
                r.rotate(-Math.PI / 3);
                r.drawString(name, 0, 0);
                r.dispose();
            }
        }
        g.dispose();
        return img;
    }

    private static Color shade(double share, int r, int g, int b) {
        double t = Math.max(0, Math.min(1, share));
        return new Color((int) (255 + (r - 255) * t), (int) (255 + (g - 255) * t), (int) (255 + (b - 255) * t));
    }

    @Override public void close() throws IOException {
        if (train != null) train.close();
        if (validation != null) validation.close();
    }
}
