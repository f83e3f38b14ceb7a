package dev.lote.report;

import dev.lote.train.LearningRateFinder;
import java.util.List;
import java.util.Locale;

/** The learning-rate range test as a page: the smoothed loss against the rate (log scale), the suggestion marked. */
public final class LearningRateChart {
    private LearningRateChart() {}

    /** A self-contained HTML page (inline SVG and the numbers as a table); {@code what} names the model and data. */
    public static String html(LearningRateFinder.Result r, String what) {
        StringBuilder s = new StringBuilder("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Learning-rate finder</title>"
                + "<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}svg text{font-size:11px;fill:#333}"
                + "svg .plot{fill:#fafafa;stroke:#ccc}svg .grid{stroke:#e6e6e6}table{border-collapse:collapse}td{padding:1px 10px;text-align:right}"
                + "</style></head><body><h1>Learning-rate finder</h1>");
        s.append("<p>").append(Html.escape(what)).append("</p>");
        s.append(String.format(Locale.ROOT, "<p class=\"suggestion\">Suggested learning rate: <b>%.2e</b> (where the loss falls fastest); "
                + "lowest loss at %.2e.</p>", r.suggested(), r.lowest()));
        s.append(svg(r));
        s.append("<details><summary>Every step</summary><table><tr><th>rate</th><th>loss</th><th>smoothed</th></tr>");
        for (LearningRateFinder.Point p : r.curve())
            s.append(String.format(Locale.ROOT, "<tr><td>%.3e</td><td>%.4f</td><td>%.4f</td></tr>", p.learningRate(), p.loss(), p.smoothed()));
        return s.append("</table></details></body></html>\n").toString();
    }

    static String svg(LearningRateFinder.Result r) {
        List<LearningRateFinder.Point> c = r.curve();
        int w = 640, h = 360, left = 56, right = 16, top = 20, bottom = 44;
        double plotW = w - left - right, plotH = h - top - bottom;
        double x0 = Math.log10(c.get(0).learningRate()), x1 = Math.log10(c.get(c.size() - 1).learningRate());
        if (x1 - x0 < 1e-9) x1 = x0 + 1;
        double lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
        for (LearningRateFinder.Point p : c) { lo = Math.min(lo, p.smoothed()); hi = Math.max(hi, p.smoothed()); }
        hi = Math.min(hi, lo + 3 * (c.get(0).smoothed() - lo) + 1e-6); // the divergence at the end would flatten the rest
        if (hi - lo < 1e-9) hi = lo + 1;
        double xa = x0, xb = x1, ya = lo, yb = hi;
        java.util.function.DoubleUnaryOperator x = lr -> left + plotW * (Math.log10(lr) - xa) / (xb - xa);
        java.util.function.DoubleUnaryOperator y = v -> top + plotH * (1 - (Math.min(v, yb) - ya) / (yb - ya));
        StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "<svg viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" role=\"img\" "
                + "aria-label=\"loss against learning rate\">", w, h, w, h));
        s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%.1f\" class=\"plot\"/>", left, top, plotW, plotH));
        for (int d = (int) Math.ceil(x0); d <= Math.floor(x1); d++) {
            double tx = x.applyAsDouble(Math.pow(10, d));
            s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%.1f\" class=\"grid\"/>"
                    + "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">1e%d</text>", tx, tx, top, top + plotH, tx, top + plotH + 16, d));
        }
        for (int i = 0; i <= 4; i++) {
            double v = lo + (hi - lo) * i / 4, ty = y.applyAsDouble(v);
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.3f</text>", left - 4, ty + 4, v));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">learning rate</text>", left + plotW / 2, h - 8));
        StringBuilder points = new StringBuilder();
        for (LearningRateFinder.Point p : c)
            points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x.applyAsDouble(p.learningRate()), y.applyAsDouble(p.smoothed())));
        s.append(String.format(Locale.ROOT, "<polyline class=\"loss\" points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>",
                points.toString().trim(), Charts.TRAIN_COLOUR));
        double sx = x.applyAsDouble(r.suggested());
        s.append(String.format(Locale.ROOT, "<line class=\"suggested\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%.1f\" stroke=\"#d62728\" "
                + "stroke-dasharray=\"4 3\"/><text x=\"%.1f\" y=\"%d\" fill=\"#d62728\">%.1e</text>", sx, sx, top, top + plotH, sx + 4, top + 14, r.suggested()));
        return s.append("</svg>").toString();
    }
}
