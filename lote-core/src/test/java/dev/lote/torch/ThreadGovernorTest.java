package dev.lote.torch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The governor's decisions on step times and core-wait figures as a busy machine gives them. */
class ThreadGovernorTest {
    private final AtomicLong clock = new AtomicLong(), waited = new AtomicLong();
    private final int before = start();
    private double waitingCores; // threads waiting for a core, in cores' worth, while the steps run

    private static int start() {
        Engine.start(0);
        return Engine.threads();
    }

    @AfterEach
    void threadsBack() { Engine.adapt(before); }

    private void steps(ThreadGovernor g, int n, double ms) {
        for (int i = 0; i < n; i++) {
            clock.addAndGet((long) (ms * 1e6));
            waited.addAndGet((long) (ms * 1e6 * waitingCores));
            g.stepTook(ms);
        }
    }

    @Test
    void neighboursThatStallStepsGetOneThreadUntilTheyLeave() {
        ThreadGovernor g = new ThreadGovernor(2, waited::get, clock::get);
        steps(g, 10, 100);
        assertEquals(2, g.threads(), "alone: all threads");
        waitingCores = 1.2;
        steps(g, 5, 1000); // neighbours arrive: steps stall
        assertEquals(1, g.threads(), "a window on one thread");
        assertEquals(1, Engine.threads(), "libtorch follows");
        steps(g, 5, 300);
        assertEquals(1, g.threads(), "one thread was faster: it stays");
        steps(g, 40, 300);
        assertEquals(1, g.threads(), "no probe before 60 steps while still contended");
        steps(g, 20, 300);
        assertEquals(2, g.threads(), "the periodic probe");
        steps(g, 1, 2000);
        assertEquals(1, g.threads(), "a probe that stalls ends after one step");
        waitingCores = 0;
        steps(g, 5, 200); // the neighbours left: nothing waits for a core
        assertEquals(2, g.threads(), "all threads tried again at once");
        steps(g, 5, 100);
        assertEquals(2, g.threads(), "and kept, being faster");
        assertEquals(2, Engine.threads());
    }

    @Test
    void ownThreadsWaitingWhenAloneCostOneProbe() {
        ThreadGovernor g = new ThreadGovernor(2, waited::get, clock::get);
        waitingCores = 0.6; // the loader's threads and the step's share two cores
        steps(g, 5, 100);
        assertEquals(1, g.threads(), "the waiting asks for a probe");
        steps(g, 5, 110);
        assertEquals(2, g.threads(), "one thread was slower: back to all");
        steps(g, 50, 100);
        assertEquals(2, g.threads(), "and no further probes for the same waiting");
    }
}
