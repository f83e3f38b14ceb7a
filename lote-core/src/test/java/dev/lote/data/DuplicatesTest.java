package dev.lote.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.LoteModel;
import dev.lote.TrainingRun;
import dev.lote.image.Augmentation;
import dev.lote.image.Decoder;
import dev.lote.nn.Shape;
import dev.lote.testing.Images;
import dev.lote.train.Recipe;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Copies among a run's images: identical bytes, resized and re-encoded copies, and what they cross. */
class DuplicatesTest {
    @TempDir Path dir;

    private static List<Path> images(Path root) throws Exception {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    @Test
    void identicalBytesGroupAndEqualSizesAloneDoNot() throws Exception {
        Path a = Files.write(dir.resolve("a.png"), new byte[] {1, 2, 3}), b = Files.write(dir.resolve("b.png"), new byte[] {1, 2, 4});
        Path c = Files.copy(a, dir.resolve("c.png")), d = Files.write(dir.resolve("d.png"), new byte[] {9});
        List<Duplicates.Group> g = Duplicates.exact(List.of(a, b, c, d));
        assertEquals(List.of(new Duplicates.Group(List.of(a, c), 1)), g);
    }

    /** Synthetic pictures are smooth gradients behind a shape: distinct ones look alike, which grey levels alone confused. */
    @Test
    void resizedAndCroppedCopiesAreNearAndNoDistinctPicturesAre() throws Exception {
        Path root = Images.sampleFolder(dir.resolve("set"), 3, 30, 96, 128);
        List<Path> originals = images(root);
        Path resized = Images.resizedCopy(originals.get(0), dir.resolve("copy/small.jpg"), 0.6);
        Path cropped = Images.croppedCopy(originals.get(40), dir.resolve("copy/cropped.jpg"), 0.9, 1);
        List<Path> files = new java.util.ArrayList<>(originals);
        files.add(resized);
        files.add(cropped);
        List<float[][]> v = Duplicates.pixelVectors(files, new Decoder(), 2, null);
        List<Duplicates.Group> near = Duplicates.near(files, v, Duplicates.PIXEL_SIMILARITY);
        assertEquals(List.of(List.of(originals.get(0), resized), List.of(originals.get(40), cropped)), near.stream().map(Duplicates.Group::files).toList(),
                "two pairs among " + files.size() + " images: " + near);
        for (Duplicates.Group g : near) assertTrue(g.similarity() > 0.99, g.toString());
        // without the crops a cropped copy is further from its original than some distinct pictures are from each other
        List<float[][]> whole = v.stream().map(views -> new float[][] {views[0]}).toList();
        assertTrue(Duplicates.near(files, whole, Duplicates.PIXEL_SIMILARITY).stream().noneMatch(g -> g.files().contains(cropped)));

        Map<Path, Duplicates.Place> where = Map.of(originals.get(0), new Duplicates.Place("0", "train"), resized, new Duplicates.Place("2", "val"));
        assertEquals("contradictory labels: 0, 2; leaks across train and val", Duplicates.crosses(near.get(0), where));
    }

    @Test
    void aRunNamesValidationCopiesOfTrainingImagesAndDedupDropsThem() throws Exception {
        Path root = dir.resolve("run");
        Path train = Images.sampleFolder(root.resolve("train"), 2, 6, 16, 16);
        Files.createDirectories(root.resolve("val/0"));
        Files.createDirectories(root.resolve("val/1"));
        List<Path> trainFiles = images(train);
        Path leaked = Files.copy(trainFiles.get(0), root.resolve("val/0/leaked.jpg"));
        Files.copy(trainFiles.get(7), root.resolve("val/1/own.jpg"));
        Files.copy(trainFiles.get(8), root.resolve("val/1/other.jpg"));
        Files.copy(trainFiles.get(8), root.resolve("train/1/twice.jpg")); // a copy within training too
        Recipe recipe = Recipe.defaults().withImageSize(Shape.image(16, 16, 3)).withBatchSize(4).withEpochs(1)
                .withAugmentation(Augmentation.parse("none"));
        ByteArrayOutputStream err = new ByteArrayOutputStream(), out = new ByteArrayOutputStream();
        try (LoteModel m = TrainingRun.of(Dataset.open(root), recipe).warnings(new PrintStream(err, true)).run().model()) {
            assertEquals(3, m.info().training().validationFiles().size());
        }
        assertTrue(err.toString().contains("lote: warning: 3 validation image(s) are identical to training images (" + trainFiles.get(0)
                + " = " + leaked + "): the validation score is inflated; --dedup keeps one copy of each"), err.toString());
        try (LoteModel m = TrainingRun.of(Dataset.open(root), recipe.withDedup(true)).console(new PrintStream(out, true)).run().model()) {
            assertEquals(List.of(), m.info().training().validationFiles(), "every validation image was a training image's copy");
            assertEquals(12, m.info().training().trainFiles().size(), "train/1/twice.jpg dropped");
        }
        assertTrue(out.toString().contains("Dropped 4 identical copies of other images (one of each of 3 groups kept, 3 of them in validation)"), out.toString());
    }
}
