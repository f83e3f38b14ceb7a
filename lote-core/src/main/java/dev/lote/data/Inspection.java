package dev.lote.data;

import dev.lote.data.ImageFolder.Sample;
import dev.lote.image.BadImageException;
import dev.lote.image.Decoder;
import dev.lote.image.Header;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One parallel pass over a folder's images: per-class counts, sizes and formats, bad files with their reasons (the
 * files training would skip, by the same decode), notes on files that decode but that a second reader complains
 * about, and files with identical bytes.
 */
public record Inspection(List<String> classes, Map<String, Integer> countPerClass, Map<String, Integer> sizes,
                         Map<String, Integer> formats, Map<String, String> badFiles, Map<String, List<String>> notes,
                         List<List<String>> duplicates, String imbalanceWarning) {

    /** True when nothing needs the user's attention: no bad files and no duplicates. */
    public boolean clean() { return badFiles.isEmpty() && duplicates.isEmpty(); }

    private record Result(Sample sample, Header header, String bad, List<String> notes, String hash) {}

    public static Inspection of(ImageFolder folder, Decoder decoder, int threads) {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Result>> futures = new ArrayList<>();
            for (Sample s : folder.samples()) futures.add(pool.submit(() -> check(s, decoder)));
            List<Result> results = new ArrayList<>();
            for (Future<Result> f : futures) results.add(f.get());
            return summarise(folder, results);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Inspection failed: " + e.getCause(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** One read of the file serves the hash, the header and the strict decode. */
    private static Result check(Sample s, Decoder decoder) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(s.file());
        } catch (IOException e) {
            return new Result(s, null, "cannot read (" + e.getMessage() + ")", List.of(), null);
        }
        String hash;
        try {
            hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Header header = null;
        String bad = null;
        List<String> notes = List.of();
        try {
            if (bytes.length == 0) throw new BadImageException(s.file(), "empty file (0 bytes)");
            header = decoder.header(bytes, s.file());
            notes = decoder.verify(bytes, s.file());
        } catch (BadImageException e) {
            bad = e.reason();
        }
        return new Result(s, header, bad, notes, hash);
    }

    private static Inspection summarise(ImageFolder folder, List<Result> results) {
        Map<String, Integer> perClass = new LinkedHashMap<>();
        for (int c = 0; c < folder.classes().size(); c++) perClass.put(folder.classes().get(c), folder.count(c));
        Map<String, Integer> sizes = new TreeMap<>(), formats = new TreeMap<>();
        Map<String, String> bad = new TreeMap<>();
        Map<String, List<String>> notes = new TreeMap<>();
        Map<String, List<String>> byHash = new LinkedHashMap<>();
        for (Result r : results) {
            if (r.header() != null) {
                sizes.merge(r.header().height() + "x" + r.header().width(), 1, Integer::sum);
                formats.merge(r.header().format(), 1, Integer::sum);
            }
            if (r.bad() != null) bad.put(r.sample().file().toString(), r.bad());
            else if (!r.notes().isEmpty()) notes.put(r.sample().file().toString(), r.notes());
            if (r.hash() != null) byHash.computeIfAbsent(r.hash(), h -> new ArrayList<>()).add(r.sample().file().toString());
        }
        List<List<String>> duplicates = byHash.values().stream().filter(l -> l.size() > 1).map(List::copyOf).toList();
        return new Inspection(folder.classes(), perClass, sizes, formats, bad, notes, duplicates, imbalance(perClass));
    }

    /** A warning when the largest class has over 1.5× the images of the smallest; null otherwise. */
    static String imbalance(Map<String, Integer> perClass) {
        var max = perClass.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
        var min = perClass.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow();
        double ratio = max.getValue() / (double) min.getValue();
        if (ratio <= 1.5) return null;
        return String.format(java.util.Locale.ROOT, "Classes are imbalanced: '%s' has %d images, %.1fx the %d of '%s'. "
                + "Accuracy will favour the large classes; gather more of the small ones or compare per-class recall.",
                max.getKey(), max.getValue(), ratio, min.getValue(), min.getKey());
    }
}
