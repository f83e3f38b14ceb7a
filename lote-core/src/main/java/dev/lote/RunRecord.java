package dev.lote;

import dev.lote.data.DataException;
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

    /** One hash of every file's path, size and time: a resumed run or another rank with other data is noticed. */
    static String fingerprint(List<Sample> train, List<Sample> validation) {
        List<Path> all = new ArrayList<>(Split.files(train));
        all.addAll(Split.files(validation));
        return Fingerprint.of(all, "");
    }

    static List<String> files(List<Sample> samples) {
        return samples.stream().map(s -> s.file().toAbsolutePath().toString()).toList();
    }

    /** Samples from a run's file list; the label is the class folder's position in {@code classes}. */
    static List<Sample> samples(List<String> files, List<String> classes) {
        List<Sample> out = new ArrayList<>();
        for (String f : files) {
            Path p = Path.of(f);
            int label = classes.indexOf(p.getParent().getFileName().toString());
            if (label < 0) throw new DataException(p, "The run's file " + p + " is not in one of its class folders " + classes + ".");
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
