package dev.lote.data;

import dev.lote.image.BadImageException;
import dev.lote.image.Decoder;
import dev.lote.image.Pixels;
import dev.lote.image.Resize;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Images that are the same picture: exact copies (the same bytes) and near copies (resized, re-encoded, slightly
 * cropped: feature vectors whose cosine similarity is at least a threshold). A copy in both the training and the
 * validation images inflates the validation score; a copy in two classes is a contradictory label.
 */
public final class Duplicates {
    private Duplicates() {}

    /** Files that are copies of each other, and the lowest similarity that joins them (1 for exact copies). */
    public record Group(List<Path> files, double similarity) {}

    /**
     * Groups of files with identical bytes, each in the order given. Only files of equal size are read and hashed,
     * so a folder of distinct photos costs one {@code stat} per file.
     */
    public static List<Group> exact(List<Path> files) {
        Map<Long, List<Path>> bySize = new LinkedHashMap<>();
        for (Path f : files) {
            try {
                bySize.computeIfAbsent(Files.size(f), s -> new ArrayList<>()).add(f);
            } catch (IOException e) { /* gone or unreadable: the loader names it */ }
        }
        List<Group> groups = new ArrayList<>();
        for (List<Path> same : bySize.values()) {
            if (same.size() < 2) continue;
            Map<String, List<Path>> byHash = new LinkedHashMap<>();
            for (Path f : same) {
                String h = sha256(f);
                if (h != null) byHash.computeIfAbsent(h, k -> new ArrayList<>()).add(f);
            }
            for (List<Path> g : byHash.values()) if (g.size() > 1) groups.add(new Group(List.copyOf(g), 1));
        }
        Map<Path, Integer> order = new HashMap<>();
        for (int i = 0; i < files.size(); i++) order.putIfAbsent(files.get(i), i);
        groups.sort(Comparator.comparing(g -> order.get(g.files().get(0))));
        return groups;
    }

    /** The similarity from which two images' {@link #pixelVectors} make them copies: measured on photos and on synthetic pictures. */
    public static final double PIXEL_SIMILARITY = 0.988;

    /**
     * Groups of files whose views ({@code views.get(i)} for {@code files.get(i)}: one feature vector, or the whole and
     * centred crops as {@link #pixelVectors} gives) have a cosine similarity of at least {@code threshold}, joined
     * transitively (single linkage). Two images are as similar as their most similar pair of views, the whole of either
     * against any of the other's, or crops of the same size: a copy cropped to 90 % matches the original's 90 % view.
     * Every pair of images is compared (1,000 images: half a million pairs, a few seconds here).
     */
    public static List<Group> near(List<Path> files, List<float[][]> views, double threshold) {
        if (!(threshold > 0 && threshold <= 1)) throw new IllegalArgumentException("The similarity threshold must be in (0, 1], got " + threshold + ".");
        int n = files.size();
        float[][][] unit = new float[n][][];
        for (int i = 0; i < n; i++) {
            float[][] v = views.get(i);
            if (v == null) continue;
            unit[i] = new float[v.length][];
            for (int k = 0; k < v.length; k++) unit[i][k] = normalized(v[k]);
        }
        // the pairs at or above the threshold, image by image in parallel; then joined in order, so the groups do not depend on threads
        List<double[]> close = java.util.stream.IntStream.range(0, n).parallel().boxed().flatMap(i -> {
            List<double[]> row = new ArrayList<>();
            for (int j = i + 1; j < n; j++) {
                double s = similarity(unit[i], unit[j]);
                if (s >= threshold) row.add(new double[] {i, j, s});
            }
            return row.stream();
        }).toList();
        int[] parent = new int[n];
        double[] lowest = new double[n];
        for (int i = 0; i < n; i++) { parent[i] = i; lowest[i] = 1; }
        for (double[] pair : close) {
            int a = root(parent, (int) pair[0]), b = root(parent, (int) pair[1]);
            if (a == b) continue;
            parent[Math.max(a, b)] = Math.min(a, b);
            lowest[Math.min(a, b)] = Math.min(pair[2], Math.min(lowest[a], lowest[b]));
        }
        Map<Integer, List<Path>> byRoot = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) byRoot.computeIfAbsent(root(parent, i), r -> new ArrayList<>()).add(files.get(i));
        List<Group> groups = new ArrayList<>();
        byRoot.forEach((r, g) -> { if (g.size() > 1) groups.add(new Group(List.copyOf(g), lowest[r])); });
        return groups;
    }

    private static double similarity(float[][] a, float[][] b) {
        if (a == null || b == null) return 0;
        double best = -1;
        for (int i = 0; i < a.length; i++)
            for (int j = 0; j < b.length; j++)
                if (i == 0 || j == 0 || i == j) best = Math.max(best, dot(a[i], b[j]));
        return best;
    }

    /**
     * A model-free picture of each image for {@link #near}: its colours at 32×32, the mean level removed (so
     * brightness and compression barely move it), of the whole image and of its centre 90 % and 80 % (so a cropped
     * copy still matches). Measured on 1,400 real photos and on 1,000 of {@code sample-data}'s synthetic pictures, each
     * with 20 copies re-encoded at quality 60, resized to 0.7× or cropped to 90 %: every copy scores 0.992 or more,
     * distinct images 0.981 at most (hence 0.988). Files that do not decode go to {@code skipped} and get no views (null).
     */
    public static List<float[][]> pixelVectors(List<Path> files, Decoder decoder, int threads, SkippedFiles skipped) {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<float[][]>> futures = new ArrayList<>();
            for (Path f : files) futures.add(pool.submit(() -> {
                try {
                    Pixels px = decoder.read(f, DECODED, DECODED, Resize.STRETCH);
                    float[][] views = new float[CROPS.length][];
                    for (int k = 0; k < CROPS.length; k++) views[k] = colours(px, CROPS[k]);
                    return views;
                } catch (BadImageException e) {
                    if (skipped != null) skipped.report(f, e.reason());
                    return null;
                }
            }));
            List<float[][]> out = new ArrayList<>();
            for (Future<float[][]> f : futures) out.add(f.get());
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Reading images failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private static final int SIDE = 32, DECODED = 128;
    private static final double[] CROPS = {1, 0.9, 0.8};

    /** The centre {@code crop} of the image (a share of each side), area-averaged to SIDE × SIDE × 3, the mean removed. */
    private static float[] colours(Pixels px, double crop) {
        int h = px.height(), w = px.width();
        byte[] rgb = px.rgb();
        double[] rows = new double[h * SIDE * 3]; // averaged across first: (y, output column, channel)
        for (int ox = 0; ox < SIDE; ox++) {
            double[] share = new double[w];
            int[] span = cell(w, crop, ox, share);
            for (int y = 0; y < h; y++)
                for (int x = span[0]; x < span[1]; x++)
                    for (int c = 0; c < 3; c++) rows[(y * SIDE + ox) * 3 + c] += share[x] * (rgb[(y * w + x) * 3 + c] & 0xff);
        }
        float[] v = new float[SIDE * SIDE * 3];
        for (int oy = 0; oy < SIDE; oy++) {
            double[] share = new double[h];
            int[] span = cell(h, crop, oy, share);
            for (int y = span[0]; y < span[1]; y++)
                for (int k = 0; k < SIDE * 3; k++) v[oy * SIDE * 3 + k] += (float) (share[y] * rows[y * SIDE * 3 + k]);
        }
        double mean = 0;
        for (float x : v) mean += x / v.length;
        for (int i = 0; i < v.length; i++) v[i] -= (float) mean;
        return v;
    }

    /**
     * Output cell {@code o} of SIDE tiling the centre {@code crop} of {@code n} pixels: each source pixel's share of it
     * into {@code share}; returns the pixels it covers, [from, to).
     */
    private static int[] cell(int n, double crop, int o, double[] share) {
        double size = n * crop / SIDE, lo = n * (1 - crop) / 2 + o * size, hi = lo + size;
        int from = (int) Math.floor(lo), to = (int) Math.min(n, Math.ceil(hi));
        for (int p = from; p < to; p++) share[p] = (Math.min(hi, p + 1) - Math.max(lo, p)) / size;
        return new int[] {from, to};
    }

    private static float[] normalized(float[] v) {
        if (v == null) return null;
        double norm = 0;
        for (float x : v) norm += x * (double) x;
        float[] u = new float[v.length];
        if (norm == 0) return u; // a flat image: similar to nothing
        double inv = 1 / Math.sqrt(norm);
        for (int i = 0; i < v.length; i++) u[i] = (float) (v[i] * inv);
        return u;
    }

    private static double dot(float[] a, float[] b) {
        float s = 0; // in float, which the JIT vectorizes
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    private static int root(int[] parent, int i) {
        while (parent[i] != i) i = parent[i] = parent[parent[i]];
        return i;
    }

    private static String sha256(Path f) {
        try (InputStream in = Files.newInputStream(f)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) d.update(buf, 0, r);
            return HexFormat.of().formatHex(d.digest());
        } catch (IOException e) {
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Where each file is: its class and part (train, val, test), for naming what a group crosses. */
    public record Place(String label, String part) {}

    /** "in classes a, b" / "across train and val" for a group, or "" when it stays in one class and part. */
    public static String crosses(Group g, Map<Path, Place> where) {
        List<String> labels = g.files().stream().map(f -> where.get(f).label()).distinct().toList();
        List<String> parts = g.files().stream().map(f -> where.get(f).part()).distinct().toList();
        List<String> said = new ArrayList<>();
        if (labels.size() > 1) said.add("contradictory labels: " + String.join(", ", labels));
        if (parts.size() > 1) said.add("leaks across " + String.join(" and ", parts));
        return String.join("; ", said);
    }
}
