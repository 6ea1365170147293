package io.shmq.transport.shmem.internal.os;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two threads ping-pong through two words and two bells of release wakers: each publishes the next number with a
 * release store and rings, the other sleeps until it sees it. A lost wake-up would leave a sleeper for its whole
 * slice (10 s) with the number published; none may happen in 20,000 rounds.
 */
class DoorbellTest {
    private static final VarHandle WORD = ValueLayout.JAVA_INT.varHandle();
    private static final int ROUNDS = 20_000;
    private static final long SLICE_NANOS = 10_000_000_000L;

    @Test
    void shouldIssueTheGlobalBarrierWhereItIsRegistered() {
        assertEquals(Native.globalBarrierReady(), Native.globalBarrier(), "ready means it works");
    }

    @Test
    void shouldNeverLoseAWakeUpOfAReleaseWaker() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            // Each side: value, bell, sleepers, on their own cache lines.
            final MemorySegment memory = arena.allocate(512, 64);
            final Doorbell ping = new Doorbell(memory, 64, 128, true);
            final Doorbell pong = new Doorbell(memory, 256 + 64, 256 + 128, true);
            final AtomicLong stalls = new AtomicLong();
            final Thread other = Thread.ofPlatform().start(() -> play(memory, 0, ping, 256, pong, false, stalls));
            play(memory, 256, pong, 0, ping, true, stalls);
            other.join(60_000);
            assertEquals(ROUNDS, (int) WORD.getVolatile(memory, 0L));
            assertEquals(ROUNDS, (int) WORD.getVolatile(memory, 256L));
            assertEquals(0, stalls.get(), "sleepers that slept their whole slice with the number published");
            assertTrue(!other.isAlive());
        }
    }

    @Test
    void shouldWakeOncePerArmingAndForgetASleeperThatNeverCameBack() throws Exception {
        try (Arena arena = Arena.ofShared()) {
            final MemorySegment memory = arena.allocate(256, 64);
            final Doorbell bell = new Doorbell(memory, 64, 128);
            bell.ring();
            assertEquals(0, (int) WORD.getVolatile(memory, 64L), "nobody armed: no wake, the word unchanged");
            final int value = bell.enter(); // a sleeper arms, then is killed before it sleeps or after
            assertTrue(bell.armed());
            bell.ring();
            assertEquals(value + 1, (int) WORD.getVolatile(memory, 64L), "the armed bell rings");
            assertFalse(bell.armed(), "the ring took the arming");
            for (int i = 0; i < 1000; i++) {
                bell.ring(); // a consumer releasing records while the woken producer has not run yet
            }
            assertEquals(value + 1, (int) WORD.getVolatile(memory, 64L), "one wake for one arming, not one a ring");
            final Thread sleeper = Thread.ofPlatform().start(() -> bell.await(() -> false, SLICE_NANOS));
            while (!bell.armed()) {
                Thread.onSpinWait();
            }
            Thread.sleep(50); // into its futex wait (a ring before it only makes the wait return at once)
            bell.ring();
            sleeper.join(SLICE_NANOS / 1_000_000 / 2);
            assertFalse(sleeper.isAlive(), "the sleeper woke at the ring, not at the end of its slice");
        }
    }

    /** Waits for the peer's word to reach each number, then publishes its own. */
    private static void play(final MemorySegment memory, final long mine, final Doorbell myBell, final long theirs,
                             final Doorbell theirBell, final boolean first, final AtomicLong stalls) {
        for (int n = 1; n <= ROUNDS; n++) {
            if (!first || n > 1) {
                final int want = first ? n - 1 : n;
                while ((int) WORD.getAcquire(memory, theirs) < want) {
                    final long start = System.nanoTime();
                    theirBell.await(() -> (int) WORD.getAcquire(memory, theirs) >= want, SLICE_NANOS);
                    if (System.nanoTime() - start > SLICE_NANOS / 2) {
                        stalls.incrementAndGet();
                    }
                }
            }
            WORD.setRelease(memory, mine, n);
            myBell.ring();
        }
        if (first) {
            while ((int) WORD.getAcquire(memory, theirs) < ROUNDS) {
                theirBell.await(() -> (int) WORD.getAcquire(memory, theirs) >= ROUNDS, SLICE_NANOS);
            }
        }
    }
}
