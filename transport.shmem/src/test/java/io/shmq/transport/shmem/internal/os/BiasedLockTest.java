package io.shmq.transport.shmem.internal.os;

import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lock biases to a thread that takes it often, revokes for another, and excludes them all along. */
class BiasedLockTest {
    private long count;

    @Test
    void shouldBiasToAThreadThatTakesItOftenAndRevokeForAnother() throws Exception {
        final BiasedLock lock = new BiasedLock();
        for (int i = 0; i < BiasedLock.BIAS_AFTER - 1; i++) {
            lock.lock();
            lock.unlock();
        }
        assertFalse(lock.biased());
        lock.lock();
        lock.unlock();
        assertTrue(lock.biased(), "biased after " + BiasedLock.BIAS_AFTER + " in a row");
        lock.lock(); // through the guard
        lock.unlock();
        final Thread other = Thread.ofPlatform().start(() -> {
            lock.lock();
            lock.unlock();
        });
        other.join(10_000);
        assertFalse(other.isAlive());
        assertFalse(lock.biased(), "revoked by the other thread");
        assertEquals(1, lock.revocations());
        lock.lock(); // by CAS again
        lock.unlock();
        assertFalse(lock.biased());
    }

    /**
     * Three threads count under the lock: one takes it in long runs (it is biased to it again and again), two others
     * now and then (each time a revocation, or a CAS when it is not biased). No increment is lost.
     */
    @Test
    void shouldExcludeEveryOtherThreadWhileBiasedAndWhileNot() throws Exception {
        final BiasedLock lock = new BiasedLock();
        final int ownerRounds = 2_000_000;
        final int otherRounds = 2_000;
        final CyclicBarrier start = new CyclicBarrier(3);
        final Thread owner = Thread.ofPlatform().start(() -> {
            await(start);
            for (int i = 0; i < ownerRounds; i++) {
                lock.lock();
                count++;
                lock.unlock();
            }
        });
        final Runnable sometimes = () -> {
            await(start);
            for (int i = 0; i < otherRounds; i++) {
                lock.lock();
                count++;
                lock.unlock();
                for (int spin = 0; spin < 2_000; spin++) {
                    Thread.onSpinWait();
                }
            }
        };
        final Thread a = Thread.ofPlatform().start(sometimes);
        final Thread b = Thread.ofPlatform().start(sometimes);
        for (final Thread t : new Thread[] {owner, a, b}) {
            t.join(120_000);
            assertFalse(t.isAlive());
        }
        lock.lock();
        try {
            assertEquals(ownerRounds + 2L * otherRounds, count);
            assertTrue(lock.revocations() > 0, "the others revoked biases");
        } finally {
            lock.unlock();
        }
    }

    private static void await(final CyclicBarrier barrier) {
        try {
            barrier.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
