package dev.lote.report;

import java.util.List;
import java.util.Locale;

/** The report's pictures as inline SVG: nothing to fetch, nothing to run, they print and scale. */
final class Charts {
    private Charts() {}

    static final String TRAIN_COLOUR = "#1f77b4", VALIDATION_COLOUR = "#ff7f0e";

    /**
     * One metric per epoch: the training line solid, the validation line dashed (either may be null), the best
     * validation epoch marked. Epochs are numbered from 1 as in the progress lines.
     */
    static String curve(String title, List<Double> train, List<Double> validation, boolean lowerIsBetter) {
        int w = 460, h = 260, left = 52, right = 14, top = 30, bottom = 40;
        int epochs = Math.max(size(train), size(validation));
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (List<Double> line : new List[] {train, validation}) {
            if (line == null) continue;
            for (double v : line) if (Double.isFinite(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
        }
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg class=\"curve\" data-metric=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                + "role=\"img\" aria-label=\"%s per epoch\">", Html.escape(title), w, h, w, h, Html.escape(title)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" class=\"title\">%s</text>", left, Html.escape(title)));
        if (epochs == 0 || lo > hi) return s.append("<text x=\"60\" y=\"120\">no epochs recorded</text></svg>").toString();
        if (hi - lo < 1e-9) { hi += 0.5; lo -= 0.5; }
        double pad = (hi - lo) * 0.05;
        lo -= pad;
        hi += pad;
        double plotW = w - left - right, plotH = h - top - bottom;
        double yLo = lo, yHi = hi;
        java.util.function.IntToDoubleFunction x = e -> left + (epochs == 1 ? plotW / 2 : plotW * e / (epochs - 1));
        java.util.function.DoubleUnaryOperator y = v -> top + plotH * (1 - (v - yLo) / (yHi - yLo));
        // axes and grid
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" class=\"plot\"/>", left, top, plotW, plotH));
        for (double tick : ticks(lo, hi, 5)) {
            double ty = y.applyAsDouble(tick);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/>", left, left + plotW, ty, ty));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>", left - 4, ty + 4, label(tick)));
        }
        int step = Math.max(1, (int) Math.ceil(epochs / 10.0));
        for (int e = 0; e < epochs; e += step) {
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%d</text>",
                    x.applyAsDouble(e), h - bottom + 16, e + 1));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">epoch</text>", left + plotW / 2, h - 6));
        if (validation != null && !validation.isEmpty()) {
            int best = 0;
            for (int e = 1; e < validation.size(); e++) {
                double v = validation.get(e), b = validation.get(best);
                if (Double.isFinite(v) && (!Double.isFinite(b) || (lowerIsBetter ? v < b : v > b))) best = e;
            }
            double bx = x.applyAsDouble(best);
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%.1f\" class=\"best\"><title>best validation "
                    + "epoch: %d</title></line>", bx, bx, top, top + plotH, best + 1));
        }
        line(s, train, TRAIN_COLOUR, "train", "", x, y);
        line(s, validation, VALIDATION_COLOUR, "validation", " stroke-dasharray=\"6 4\"", x, y);
        // legend on the title's line, clear of the lines
        int lx = w - right - 190;
        if (train != null) legend(s, lx, 18, TRAIN_COLOUR, "", "training");
        if (validation != null) legend(s, lx + 90, 18, VALIDATION_COLOUR, " stroke-dasharray=\"6 4\"", "validation");
        return s.append("</svg>").toString();
    }

    /** A class's precision (up) against recall (across), both 0 to 1, with a dot at ({@code recall}, {@code precision}). */
    static String precisionRecall(String name, List<double[]> curve, double recall, double precision) {
        int w = 220, h = 200, left = 36, top = 24, plot = 150;
        java.util.function.DoubleUnaryOperator x = r -> left + plot * r, y = p -> top + plot * (1 - p);
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg class=\"pr\" data-class=\"%s\" viewBox=\"0 0 %d %d\" width=\"%d\" "
                + "height=\"%d\" role=\"img\" aria-label=\"precision against recall for %s\">", Html.escape(name), w, h, w, h, Html.escape(name)));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"16\" class=\"title\">%s</text>", left, Html.escape(shorten(name, 24))));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" class=\"plot\"/>", left, top, plot, plot));
        for (double t : new double[] {0, 0.5, 1}) {
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>", left - 4,
                    y.applyAsDouble(t) + 4, label(t)));
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"tick\" text-anchor=\"middle\">%s</text>",
                    x.applyAsDouble(t), top + plot + 14, label(t)));
        }
        StringBuilder points = new StringBuilder();
        for (double[] p : curve) points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.applyAsDouble(p[0]), y.applyAsDouble(p[1])));
        s.append(String.format(Locale.ROOT, "<polyline class=\"line\" points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>",
                points.toString().trim(), VALIDATION_COLOUR));
        s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>at its threshold: recall %.3f, "
                + "precision %.3f</title></circle>", x.applyAsDouble(recall), y.applyAsDouble(precision), TRAIN_COLOUR, recall, precision));
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" class=\"axis\" text-anchor=\"middle\">recall</text>", left + plot / 2.0, h - 4));
        return s.append("</svg>").toString();
    }

    private static void line(StringBuilder s, List<Double> values, String colour, String name, String dash,
                             java.util.function.IntToDoubleFunction x, java.util.function.DoubleUnaryOperator y) {
        if (values == null || values.isEmpty()) return;
        StringBuilder points = new StringBuilder();
        for (int e = 0; e < values.size(); e++) {
            double v = values.get(e);
            if (!Double.isFinite(v)) continue;
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.applyAsDouble(e), y.applyAsDouble(v)));
        }
        s.append(String.format(Locale.ROOT, "<polyline class=\"line %s\" points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>",
                name, points.toString().trim(), colour, dash));
        for (int e = 0; e < values.size(); e++) {
            double v = values.get(e);
            if (!Double.isFinite(v)) continue;
            s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s, epoch %d: %s</title></circle>",
                    x.applyAsDouble(e), y.applyAsDouble(v), colour, name, e + 1, String.format(Locale.ROOT, "%.4f", v)));
        }
    }

    private static void legend(StringBuilder s, int x, int y, String colour, String dash, String text) {
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2\"%s/>"
                + "<text x=\"%d\" y=\"%d\" class=\"tick\">%s</text>", x, x + 22, y - 4, y - 4, colour, dash, x + 28, y, text));
    }

    /**
     * The confusion matrix as a heat map: rows are true classes, columns predicted ones; a cell's shade is its
     * share of the row (so a class's recall reads on the diagonal), its number the count.
     */
    static String heatMap(List<String> classes, int[][] confusion) {
        int k = classes.size();
        int cell = Math.max(8, Math.min(40, 520 / Math.max(1, k)));
        int labelW = 10 + Math.min(18, classes.stream().mapToInt(String::length).max().orElse(1)) * 7;
        int w = labelW + k * cell + 10, h = labelW + k * cell + 10;
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg class=\"heatmap\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                + "role=\"img\" aria-label=\"confusion matrix\">", w, h, w, h));
        for (int i = 0; i < k; i++) {
            String name = Html.escape(shorten(classes.get(i), 18));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" class=\"tick\" text-anchor=\"end\">%s</text>", labelW - 6,
                    labelW + i * cell + cell / 2.0 + 4, name));
            s.append(String.format(Locale.ROOT, "<text class=\"tick\" text-anchor=\"start\" transform=\"translate(%.1f,%d) rotate(-60)\">%s</text>",
                    labelW + i * cell + cell / 2.0 + 4, labelW - 6, name));
        }
        for (int i = 0; i < k; i++) {
            int row = 0;
            for (int n : confusion[i]) row += n;
            for (int j = 0; j < k; j++) {
                int n = confusion[i][j];
                double share = row == 0 ? 0 : n / (double) row;
                String fill = i == j ? shade(share, 31, 119, 180) : shade(share, 214, 39, 40);
                s.append(String.format(Locale.ROOT, "<rect class=\"cell\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" "
                        + "data-count=\"%d\"><title>true %s, predicted %s: %d (%.0f %% of the class)</title></rect>",
                        labelW + j * cell, labelW + i * cell, cell, cell, fill, n, Html.escape(classes.get(i)),
                        Html.escape(classes.get(j)), n, share * 100));
                if (cell >= 22 && n > 0) {
                    s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" class=\"count\" text-anchor=\"middle\" fill=\"%s\">%d</text>",
                            labelW + j * cell + cell / 2.0, labelW + i * cell + cell / 2.0 + 4, share > 0.55 ? "#fff" : "#222", n));
                }
            }
        }
        return s.append("</svg>").toString();
    }

    /** White at 0, the colour at 1. */
    private static String shade(double share, int r, int g, int b) {
        double t = Math.max(0, Math.min(1, share));
        return String.format(Locale.ROOT, "rgb(%d,%d,%d)", (int) (255 + (r - 255) * t), (int) (255 + (g - 255) * t), (int) (255 + (b - 255) * t));
    }

    /** About {@code n} round tick values between lo and hi. */
    static double[] ticks(double lo, double hi, int n) {
        double raw = (hi - lo) / n, mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3 ? 2 * mag : raw / mag < 7 ? 5 * mag : 10 * mag;
        double first = Math.ceil(lo / step) * step;
        int count = (int) Math.floor((hi - first) / step) + 1;
        double[] t = new double[Math.max(0, count)];
        for (int i = 0; i < t.length; i++) t[i] = first + i * step;
        return t;
    }

    private static String label(double v) {
        String s = String.format(Locale.ROOT, "%.3f", v);
        return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
    }

    private static String shorten(String s, int max) { return s.length() <= max ? s : s.substring(0, max - 1) + "…"; }

    private static int size(List<Double> l) { return l == null ? 0 : l.size(); }
}
