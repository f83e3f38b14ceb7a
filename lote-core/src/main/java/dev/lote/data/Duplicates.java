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

    /**
     * Groups of files whose vectors ({@code vectors.get(i)} for {@code files.get(i)}) have a cosine similarity of at least
     * {@code threshold}, joined transitively (single linkage). Every pair is compared: 10,000 images take ~50 M dot products.
     */
    public static List<Group> near(List<Path> files, List<float[]> vectors, double threshold) {
        if (!(threshold > 0 && threshold <= 1)) throw new IllegalArgumentException("The similarity threshold must be in (0, 1], got " + threshold + ".");
        int n = files.size();
        float[][] unit = new float[n][];
        for (int i = 0; i < n; i++) unit[i] = normalized(vectors.get(i));
        int[] parent = new int[n];
        double[] lowest = new double[n];
        for (int i = 0; i < n; i++) { parent[i] = i; lowest[i] = 1; }
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double s = dot(unit[i], unit[j]);
                if (s < threshold) continue;
                int a = root(parent, i), b = root(parent, j);
                if (a == b) continue;
                parent[Math.max(a, b)] = Math.min(a, b);
                lowest[Math.min(a, b)] = Math.min(s, Math.min(lowest[a], lowest[b]));
            }
        }
        Map<Integer, List<Path>> byRoot = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) byRoot.computeIfAbsent(root(parent, i), r -> new ArrayList<>()).add(files.get(i));
        List<Group> groups = new ArrayList<>();
        byRoot.forEach((r, g) -> { if (g.size() > 1) groups.add(new Group(List.copyOf(g), lowest[r])); });
        return groups;
    }

    /**
     * A model-free picture of each image for {@link #near}: 32×32 grey levels, mean removed, so brightness, size and
     * compression barely move it (a resized or re-encoded copy scores above 0.98; different photos rarely above 0.9).
     * Files that do not decode go to {@code skipped} and get no vector (null).
     */
    public static List<float[]> pixelVectors(List<Path> files, Decoder decoder, int threads, SkippedFiles skipped) {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<float[]>> futures = new ArrayList<>();
            for (Path f : files) futures.add(pool.submit(() -> {
                try {
                    return grey(decoder.read(f, SIDE, SIDE, Resize.STRETCH));
                } catch (BadImageException e) {
                    if (skipped != null) skipped.report(f, e.reason());
                    return null;
                }
            }));
            List<float[]> out = new ArrayList<>();
            for (Future<float[]> f : futures) out.add(f.get());
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

    private static final int SIDE = 32;

    private static float[] grey(Pixels px) {
        byte[] rgb = px.rgb();
        float[] g = new float[rgb.length / 3];
        double mean = 0;
        for (int i = 0; i < g.length; i++) {
            g[i] = 0.299f * (rgb[3 * i] & 0xff) + 0.587f * (rgb[3 * i + 1] & 0xff) + 0.114f * (rgb[3 * i + 2] & 0xff);
            mean += g[i] / g.length;
        }
        for (int i = 0; i < g.length; i++) g[i] -= (float) mean;
        return g;
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
        if (a == null || b == null) return 0;
        double s = 0;
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
