package dev.lote.nn;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Keras 3's model summary: layer (type), output shape, parameter count, and for functional models "Connected to". */
public final class Summary {
    private Summary() {}

    public static String of(Model model) {
        boolean graph = !(model instanceof Sequential);
        List<String[]> rows = new ArrayList<>();
        for (Model.Call c : model.calls()) {
            if (!graph && c.layer() instanceof InputLayer) continue;
            String type = c.layer() instanceof Model m ? (m instanceof Sequential ? "Sequential" : "Functional") : c.layer().className();
            List<String> from = new ArrayList<>();
            for (int i : c.inputs()) from.add(model.calls().get(i).layer().name() + "[" + model.calls().get(i).node() + "][0]");
            rows.add(new String[] {c.layer().name() + " (" + type + ")", c.output().withBatch(),
                    String.format(Locale.ROOT, "%,d", c.node() == Model.firstNode(c.layer()) ? c.layer().parameterCount(c.inputShapes()) : 0),
                    from.isEmpty() ? "-" : String.join(", ", from)});
        }
        int first = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
        int[] w = graph ? new int[] {Math.max(34, first), 24, 15, Math.max(20, rows.stream().mapToInt(r -> r[3].length()).max().orElse(0))}
                : new int[] {Math.max(34, first), 24, 15};
        String[] head = {"Layer (type)", "Output Shape", "Param #", "Connected to"};
        StringBuilder s = new StringBuilder("Model: \"" + model.name() + "\"\n");
        s.append(rule('┏', '━', '┳', '┓', w));
        s.append(row('┃', w, head));
        s.append(rule('┡', '━', '╇', '┩', w));
        for (String[] r : rows) s.append(row('│', w, r));
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

    /** Text columns left-aligned, the parameter count (column 2) right-aligned. */
    private static String row(char bar, int[] w, String[] cells) {
        StringBuilder s = new StringBuilder().append(bar);
        for (int i = 0; i < w.length; i++) {
            String c = cells[i];
            s.append(' ').append(i == 2 ? " ".repeat(Math.max(0, w[i] - c.length())) + c : pad(c, w[i])).append(' ').append(bar);
        }
        return s.append('\n').toString();
    }

    private static String pad(String s, int width) { return s.length() >= width ? s : s + " ".repeat(width - s.length()); }
}
