package dev.lote.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lote.data.ImageFolder.Sample;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Labels from a file instead of class folders: CSV rows {@code file,label[,split]} (a header row may name the columns
 * {@code file}/{@code filename}/{@code image}/{@code path}, {@code label}/{@code class}/{@code category} and {@code split};
 * without one they are taken in that order), or JSON lines ({@code {"file": …, "label": …, "split": …}}). Paths are
 * relative to the data folder. Several labels in one cell are separated by {@code ;} (a JSON list in JSON lines): the image
 * then belongs to the set of them ({@link LabelSets}), for multi-label training, where an empty cell is an image with
 * none of the labels. Every row is checked before training: a
 * missing file, an empty label, a file listed twice, an unknown split, and the folder's images that no row names are
 * collected as {@link Problem}s, with line numbers.
 */
public final class LabelFile {
    private LabelFile() {}

    /** One thing wrong with the file; {@code line} is 0 for an image that no row names. */
    public record Problem(int line, String what) {
        @Override public String toString() { return line > 0 ? "line " + line + ": " + what : what; }
    }

    /** The labelled images by split ({@code train}, {@code val}, {@code test}; rows without a split are {@code train}), the classes, and what was left out. */
    public record Read(List<String> classes, Map<String, List<Sample>> splits, List<Problem> problems) {}

    private record Row(int line, String file, String label, String split) {}

    private static final Set<String> FILE = Set.of("file", "filename", "image", "path", "file_name", "image_path");
    private static final Set<String> LABEL = Set.of("label", "labels", "class", "category");

    /** Reads {@code labels} for the images under {@code dir}. */
    public static Read read(Path dir, Path labels) {
        if (!Files.isRegularFile(labels)) throw new DataException(labels, "No labels file " + labels + ".");
        List<Row> rows;
        try {
            String name = labels.getFileName().toString().toLowerCase(Locale.ROOT);
            List<String> lines = Files.readAllLines(labels, StandardCharsets.UTF_8);
            if (!lines.isEmpty() && lines.get(0).startsWith("\uFEFF")) lines.set(0, lines.get(0).substring(1));
            rows = name.endsWith(".jsonl") || name.endsWith(".ndjson") ? jsonLines(labels, lines) : csv(labels, lines);
        } catch (IOException e) {
            throw new DataException(labels, "Cannot read " + labels + ": " + e.getMessage());
        }
        List<Problem> problems = new ArrayList<>();
        Map<Path, Integer> firstLine = new HashMap<>();
        Set<Path> named = new java.util.HashSet<>(); // by any row, right or wrong
        List<Row> kept = new ArrayList<>();
        // with several labels per image, an empty cell is an image with none of them (a negative); else it is a mistake
        boolean multiLabel = rows.stream().anyMatch(r -> LabelSets.name(r.label()).contains(LabelSets.SEPARATOR));
        for (Row r : rows) {
            Path file = dir.resolve(r.file()).normalize();
            named.add(file);
            String split = r.split() == null || r.split().isBlank() ? "train" : splitName(r.split());
            if (r.file().isBlank()) problems.add(new Problem(r.line(), "no file named"));
            else if (LabelSets.name(r.label()).isEmpty() && !multiLabel) problems.add(new Problem(r.line(), r.file() + ": empty label"));
            else if (split == null) problems.add(new Problem(r.line(), r.file() + ": unknown split '" + r.split() + "' (expected train, val or test)"));
            else if (firstLine.containsKey(file)) problems.add(new Problem(r.line(), r.file() + ": listed again (first on line "
                    + firstLine.get(file) + ")"));
            else if (!Files.isRegularFile(file)) problems.add(new Problem(r.line(), r.file() + ": no such file in " + dir));
            else {
                firstLine.put(file, r.line());
                kept.add(new Row(r.line(), file.toString(), LabelSets.name(r.label()), split));
            }
        }
        for (Path p : unlisted(dir, named, labels)) problems.add(new Problem(0, dir.relativize(p) + ": in " + dir + " but not in " + labels.getFileName()));
        List<String> classes = new ArrayList<>(new TreeSet<>(kept.stream().map(Row::label).toList()));
        classes.sort(ImageFolder.classOrder(classes));
        Map<String, List<Sample>> splits = new LinkedHashMap<>();
        for (Row r : kept) splits.computeIfAbsent(r.split(), s -> new ArrayList<>()).add(new Sample(Path.of(r.file()), classes.indexOf(r.label())));
        return new Read(classes, splits, problems);
    }

    /** The problems as one message: the first few, then how many more. */
    public static String describe(Path labels, List<Problem> problems, String outcome) {
        int shown = Math.min(10, problems.size());
        return labels + ": " + problems.size() + " problem" + (problems.size() == 1 ? "" : "s") + " (" + outcome + "): "
                + problems.subList(0, shown).stream().map(Problem::toString).collect(Collectors.joining("; "))
                + (problems.size() > shown ? "; and " + (problems.size() - shown) + " more" : "") + ".";
    }

    private static String splitName(String s) {
        return switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "train", "training" -> "train";
            case "val", "valid", "validation" -> "val";
            case "test", "testing" -> "test";
            default -> null;
        };
    }

    private static List<Row> csv(Path labels, List<String> lines) {
        List<Row> rows = new ArrayList<>();
        int fileCol = 0, labelCol = 1, splitCol = 2;
        boolean header = true;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            List<String> cells = cells(labels, lines.get(i), i + 1);
            if (header) {
                header = false;
                List<String> names = cells.stream().map(c -> c.strip().toLowerCase(Locale.ROOT)).toList();
                int f = indexOf(names, FILE), l = indexOf(names, LABEL);
                if (f >= 0 && l >= 0) {
                    fileCol = f;
                    labelCol = l;
                    splitCol = names.indexOf("split");
                    continue;
                }
            }
            if (cells.size() <= Math.max(fileCol, labelCol)) throw new DataException(labels, labels + " line " + (i + 1)
                    + ": expected file,label[,split], got '" + lines.get(i) + "'.");
            rows.add(new Row(i + 1, cells.get(fileCol).strip(), cells.get(labelCol), splitCol >= 0 && splitCol < cells.size() ? cells.get(splitCol) : null));
        }
        return rows;
    }

    private static int indexOf(List<String> names, Set<String> wanted) {
        for (int i = 0; i < names.size(); i++) if (wanted.contains(names.get(i))) return i;
        return -1;
    }

    /** One CSV line's cells (RFC 4180 quoting: a comma inside quotes, "" for a quote). */
    private static List<String> cells(Path labels, String line, int number) {
        List<String> out = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted && c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') { cell.append('"'); i++; }
            else if (c == '"') quoted = !quoted;
            else if (c == ',' && !quoted) { out.add(cell.toString()); cell.setLength(0); }
            else cell.append(c);
        }
        if (quoted) throw new DataException(labels, labels + " line " + number + ": a quote is not closed.");
        out.add(cell.toString());
        return out;
    }

    private static List<Row> jsonLines(Path labels, List<String> lines) {
        ObjectMapper json = new ObjectMapper();
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) continue;
            JsonNode n;
            try {
                n = json.readTree(lines.get(i));
            } catch (IOException e) {
                throw new DataException(labels, labels + " line " + (i + 1) + ": not a JSON object.");
            }
            if (!n.isObject()) throw new DataException(labels, labels + " line " + (i + 1) + ": not a JSON object.");
            JsonNode file = first(n, FILE), label = first(n, LABEL), split = n.get("split");
            List<String> several = new ArrayList<>();
            if (label != null && label.isArray()) label.forEach(e -> several.add(e.asText()));
            String labelText = label == null ? "" : label.isArray() ? String.join(";", several) : label.asText();
            rows.add(new Row(i + 1, file == null ? "" : file.asText(), labelText, split == null ? null : split.asText()));
        }
        return rows;
    }

    private static JsonNode first(JsonNode n, Set<String> names) {
        for (String k : names) if (n.has(k)) return n.get(k);
        return null;
    }

    /** Images under {@code dir} (hidden files skipped) that no row names. */
    private static List<Path> unlisted(Path dir, Set<Path> listed, Path labels) {
        try (Stream<Path> all = Files.walk(dir)) {
            Set<Path> seen = new LinkedHashSet<>(listed);
            return all.filter(p -> Files.isRegularFile(p) && ImageFolder.isImageName(p) && !p.getFileName().toString().startsWith("."))
                    .map(Path::normalize).filter(p -> !seen.contains(p) && !p.equals(labels.normalize())).sorted().toList();
        } catch (IOException e) {
            throw new DataException(dir, "Cannot list " + dir + ": " + e.getMessage());
        }
    }
}
