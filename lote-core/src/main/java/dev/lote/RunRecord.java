package dev.lote;

import dev.lote.data.DataException;
import dev.lote.data.Dataset;
import dev.lote.data.Fingerprint;
import dev.lote.data.ImageFolder.Sample;
import dev.lote.data.Split;
import dev.lote.dist.World;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The pieces of a run's record in the model file: its files, their fingerprint, what ran it; and its files read back. */
final class RunRecord {
    private RunRecord() {}

    /** One hash of every file's path, size and time, and the labels file's: a resumed run or another rank with other data is noticed. */
    static String fingerprint(List<Sample> train, List<Sample> validation, Path labels) {
        List<Path> all = new ArrayList<>(Split.files(train));
        all.addAll(Split.files(validation));
        if (labels != null) all.add(labels);
        return Fingerprint.of(all, "");
    }

    static List<String> files(List<Sample> samples) {
        return samples.stream().map(s -> s.file().toAbsolutePath().toString()).toList();
    }

    /** Samples from a run's file list: the label {@code data}'s labels file gives, else the class folder's position in {@code classes}. */
    static List<Sample> samples(List<String> files, List<String> classes, Dataset data) {
        Map<Path, String> labelled = data.labels() != null ? data.classesByFile() : Map.of(); // by name: the classes may be ordered otherwise now
        List<Sample> out = new ArrayList<>();
        for (String f : files) {
            Path p = Path.of(f);
            String name = data.labels() != null ? labelled.get(p.toAbsolutePath().normalize()) : p.getParent().getFileName().toString();
            if (name == null) throw new DataException(p, "The run's file " + p + " has no row in " + data.labels() + " any more.");
            int label = classes.indexOf(name);
            if (label < 0 && data.labels() != null) throw new DataException(p, "The run's file " + p + " is labelled '" + name
                    + "' in " + data.labels() + ", not one of the run's classes " + classes + ".");
            if (label < 0) throw new DataException(p, "The run's file " + p + " is not in one of its class folders " + classes
                    + " (was the run trained with --labels?).");
            out.add(new Sample(p, label));
        }
        return out;
    }

    /** What ran the training. */
    static Map<String, String> environment(World world) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("lote", LoteModel.version());
        env.put("libtorch", dev.lote.torch.Engine.version());
        env.put("java", System.getProperty("java.version"));
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        env.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        env.put("processes", Integer.toString(world.size()));
        return env;
    }
}
