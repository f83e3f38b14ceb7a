package dev.lote.nn;

import java.util.Locale;

/** Keras 3's model summary table: layer (type), output shape, parameter count, totals. */
public final class Summary {
    private Summary() {}

    public static String of(Sequential model) {
        int first = model.nodes().stream().mapToInt(n -> n.name().length() + n.layer().type().length() + 3).max().orElse(0);
        int[] w = {Math.max(34, first), 24, 15};
        StringBuilder s = new StringBuilder("Model: \"sequential\"\n");
        s.append(rule('┏', '━', '┳', '┓', w));
        s.append(row('┃', w, "Layer (type)", "Output Shape", "Param #"));
        s.append(rule('┡', '━', '╇', '┩', w));
        for (Sequential.Node n : model.nodes()) {
            s.append(row('│', w, n.name() + " (" + n.layer().type() + ")", n.output().withBatch(),
                    String.format(Locale.ROOT, "%,d", n.parameters())));
        }
        s.append(rule('└', '─', '┴', '┘', w));
        long total = model.parameterCount(), trainable = model.trainableCount();
        s.append(" Total params: ").append(count(total)).append('\n');
        s.append(" Trainable params: ").append(count(trainable)).append('\n');
        s.append(" Non-trainable params: ").append(count(total - trainable)).append('\n');
        return s.toString();
    }

    private static String count(long params) {
        return String.format(Locale.ROOT, "%,d (%s)", params, bytes(params * 4));
    }

    /** Sizes as Keras prints them (binary units, two decimals). */
    static String bytes(long b) {
        String[] units = {"B", "KB", "MB", "GB"};
        double v = b;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
        return String.format(Locale.ROOT, "%.2f %s", v, units[u]);
    }

    private static String rule(char left, char fill, char mid, char right, int[] w) {
        StringBuilder s = new StringBuilder().append(left);
        for (int i = 0; i < w.length; i++) s.append(String.valueOf(fill).repeat(w[i] + 2)).append(i < w.length - 1 ? mid : right);
        return s.append('\n').toString();
    }

    private static String row(char bar, int[] w, String a, String b, String c) {
        return bar + " " + pad(a, w[0]) + " " + bar + " " + pad(b, w[1]) + " " + bar + " "
                + " ".repeat(Math.max(0, w[2] - c.length())) + c + " " + bar + "\n";
    }

    private static String pad(String s, int width) { return s.length() >= width ? s : s + " ".repeat(width - s.length()); }
}
