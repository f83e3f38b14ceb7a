package dev.lote.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Confident learning: a suspect is an image that another class claims at least as surely as that class claims its own. */
class SuspectsTest {
    @Test
    void anotherClassAboveItsOwnThresholdMakesASuspectAndDoubtAloneDoesNot() {
        List<Evaluation.Sample> s = new ArrayList<>();
        for (int i = 0; i < 8; i++) s.add(new Evaluation.Sample("cat" + i, 0, new float[] {0.9f, 0.1f}));
        for (int i = 0; i < 8; i++) s.add(new Evaluation.Sample("dog" + i, 1, new float[] {0.2f, 0.8f}));
        s.add(new Evaluation.Sample("dog-labelled-cat", 0, new float[] {0.1f, 0.9f}));
        s.add(new Evaluation.Sample("worse", 0, new float[] {0.05f, 0.95f}));
        s.add(new Evaluation.Sample("unsure", 0, new float[] {0.45f, 0.55f})); // dog's threshold is ~0.8: not confident
        List<Evaluation.Suspect> found = Evaluation.of(List.of("cat", "dog"), s, 1, 0, List.of()).suspects();
        assertEquals(List.of("worse", "dog-labelled-cat"), found.stream().map(Evaluation.Suspect::file).toList());
        assertEquals(new Evaluation.Suspect("worse", "cat", "dog", 0.05f, 0.95f), found.get(0));
    }
}
