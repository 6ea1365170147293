package io.shmq.transport.shmem.internal.os;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdleStrategyTest {
    @Test
    void spinsThenYieldsThenSleepsDoubling() {
        final IdleStrategy idle = new IdleStrategy(3, 2, 100, 350);
        final List<Long> sleeps = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            assertFalse(idle.parking(), "step " + i);
            assertEquals(i < 3, idle.spinning(), "step " + i);
            idle.idle(sleeps::add);
        }
        assertTrue(idle.parking());
        assertFalse(idle.spinning());
        assertEquals(List.of(), sleeps, "3 spins and 2 yields sleep never");
        for (int i = 0; i < 4; i++) {
            idle.idle(sleeps::add);
        }
        assertEquals(List.of(100L, 200L, 350L, 350L), sleeps);
        idle.idle(1);
        assertFalse(idle.parking(), "work starts over");
    }

    @Test
    void aBackoffStepCountsItsPausesAgainstTheSpinBudget() {
        // 10 spins: steps of 4 pauses spend them in 3 steps (4 + 4 + 2), then the yields and sleeps follow as usual.
        final IdleStrategy idle = new IdleStrategy(10, 1, 100, 100);
        final List<Long> sleeps = new ArrayList<>();
        idle.idle(4, sleeps::add);
        idle.idle(4, sleeps::add);
        assertFalse(idle.parking());
        idle.idle(4, sleeps::add);
        idle.idle(4, sleeps::add); // the one yield
        assertTrue(idle.parking());
        assertEquals(List.of(), sleeps);
        idle.idle(4, sleeps::add);
        assertEquals(List.of(100L), sleeps, "a backoff step past the spin phase sleeps once, never spins again");
    }

    @Test
    void aPauseSpendsTheSpinBudgetLikeAStepWithASleeper() {
        // The wait loops pause without a sleeper until parking(): the same budget, so the same step sleeps first.
        final IdleStrategy paused = new IdleStrategy(10, 1, 100, 100);
        final IdleStrategy stepped = new IdleStrategy(10, 1, 100, 100);
        final List<Long> sleeps = new ArrayList<>();
        int steps = 0;
        while (!paused.parking()) {
            paused.pause(4);
            stepped.idle(4, sleeps::add);
            steps++;
            assertEquals(paused.parking(), stepped.parking(), "step " + steps);
        }
        assertEquals(4, steps, "4 + 4 + 2 spins, then the one yield");
        assertEquals(List.of(), sleeps);
        final long before = System.nanoTime();
        paused.pause(4);
        assertTrue(System.nanoTime() - before >= 100, "past the spin and yield phases a pause parks");
    }

    @Test
    void refusesABadShape() {
        assertThrows(IllegalArgumentException.class, () -> new IdleStrategy(-1, 0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new IdleStrategy(0, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new IdleStrategy(0, 0, 5, 4));
    }
}
