package dev.lote.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The governor's decisions on step times and neighbour counts as a busy machine gives them. */
class ThreadGovernorTest {
    private final int before = start();
    private double neighbours; // other processes' runnable threads while the steps run

    private static int start() {
        Engine.start(0);
        return Engine.threads();
    }

    @AfterEach
    void threadsBack() { Engine.adapt(before); }

    private ThreadGovernor governor() { return new ThreadGovernor(2, () -> neighbours); }

    private static void steps(ThreadGovernor g, int n, double ms) {
        for (int i = 0; i < n; i++) g.stepTook(ms);
    }

    @Test
    void neighboursThatStallStepsGetOneThreadUntilTheyLeave() {
        ThreadGovernor g = governor();
        steps(g, 5, 400); // warming up: not a measure
        steps(g, 10, 100);
        assertEquals(2, g.threads(), "alone: all threads");
        neighbours = 2;
        steps(g, 5, 1000); // neighbours arrive: steps stall
        assertEquals(1, g.threads(), "a window on one thread");
        assertEquals(1, Engine.threads(), "libtorch follows");
        steps(g, 5, 300);
        assertEquals(1, g.threads(), "one thread was faster: it stays");
        steps(g, 200, 300);
        assertEquals(1, g.threads(), "no probes while the neighbours stay");
        neighbours = 0;
        steps(g, 5, 200); // the neighbours left
        assertEquals(2, g.threads(), "all threads tried again at once");
        steps(g, 5, 100);
        assertEquals(2, g.threads(), "and kept, being faster");
        assertEquals(2, Engine.threads());
    }

    @Test
    void withoutANeighbourCountItProbesNowAndThen() {
        neighbours = Double.NaN; // not Linux
        ThreadGovernor g = governor();
        steps(g, 15, 100);
        steps(g, 5, 1000);
        assertEquals(1, g.threads(), "stalls alone ask for a probe");
        steps(g, 5, 300);
        steps(g, 40, 300);
        assertEquals(1, g.threads(), "no probe before 60 steps");
        steps(g, 20, 300);
        assertEquals(2, g.threads(), "the periodic probe");
        steps(g, 1, 2000);
        assertEquals(1, g.threads(), "a probe that stalls ends after one step");
        steps(g, 100, 300);
        assertEquals(1, g.threads(), "and the next waits twice as long");
        steps(g, 25, 300);
        assertEquals(2, g.threads());
    }

    @Test
    void busyFromTheFirstStepStillGetsOneThread() {
        ThreadGovernor g = governor();
        neighbours = 2;
        steps(g, 10, 2000); // no faster step to compare with: the neighbours say it
        assertEquals(1, g.threads());
        steps(g, 5, 500);
        assertEquals(1, g.threads());
    }

    @Test
    void aloneItNeverProbes() {
        ThreadGovernor g = governor();
        for (int i = 0; i < 200; i++) g.stepTook(100 + (i % 7) * 5); // the noise of a quiet machine
        assertEquals(2, g.threads());
    }

    @Test
    void aNeighbourThatOneThreadDoesNotBeatCostsOneProbe() {
        ThreadGovernor g = governor();
        neighbours = 1;
        steps(g, 10, 300);
        assertEquals(1, g.threads(), "the neighbour asks for a probe");
        steps(g, 5, 400);
        assertEquals(2, g.threads(), "one thread was slower: back to all");
        steps(g, 50, 300);
        assertEquals(2, g.threads(), "and no further probes for the same neighbour");
    }
}
